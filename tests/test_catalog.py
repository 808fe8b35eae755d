"""The dispatch table has no silent gaps: every shape has a converter or a stated reason, per target."""

from __future__ import annotations

import pytest

from cio_schemas.catalog import PIPELINES_CALLS, ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS
from cio_schemas.converters import CONVERTERS, TARGETS, UNSUPPORTED

KINDS = sorted(
    {r.schema for r in ROUTES if not r.batch and r.schema not in ("track_v2/entity", "pipelines/track")}
    | set(V2_OPERATIONS.values())
    | (set(PIPELINES_CALLS.values()) - {"pipelines/track", "pipelines/batch_group"})
    | {"pipelines/track_event"}
    | set(SEMANTIC_EVENTS.values())
)


def _api(kind: str) -> str:
    return {"track_v1": "track-v1", "track_v2": "track-v2", "pipelines": "pipelines"}[kind.split("/")[0]]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_shape_has_a_converter_or_a_reason(kind: str, target: str) -> None:
    if _api(kind) == target:
        return
    has_converter = (kind, target) in CONVERTERS
    reason = UNSUPPORTED.get((kind, target)) or UNSUPPORTED.get((kind, "*"))
    assert has_converter or reason, f"{kind} → {target}: neither a converter nor a reason"
    assert not (has_converter and UNSUPPORTED.get((kind, target))), f"{kind} → {target}: both"


def test_registered_kinds_are_real_schemas() -> None:
    for kind, target in list(CONVERTERS) + list(UNSUPPORTED):
        assert kind in KINDS, kind
        assert target in (*TARGETS, "*"), target
