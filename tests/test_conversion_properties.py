"""Properties of every conversion, over every request in the case files, to every target.

(Generated requests of every route go through the same checks in
``test_conversion_fuzz.py``.)

For each input the library can convert: the input is not mutated, every
output validates, and every input leaf is in the output or in the loss report.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from accounting import unaccounted
from conftest import load_cases

from cio_schemas import Request, iter_errors
from cio_schemas.converters import TARGETS, convert
from cio_schemas.errors import UnsupportedConversionError

INPUTS: dict[str, dict[str, Any]] = {}
for _, case in load_cases("convert"):
    INPUTS.setdefault(f"{case['input']['method']} {case['input']['path']} {len(INPUTS)}", case["input"])


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("envelope", list(INPUTS.values()), ids=list(INPUTS))
def test_conversion_properties(envelope: dict[str, Any], target: str) -> None:
    request = Request.from_json(envelope)
    before = copy.deepcopy(envelope)
    try:
        result = convert(request, target)
    except UnsupportedConversionError as exc:
        assert exc.reason  # an unsupported conversion always says why
        return
    finally:
        assert envelope == before, "the input was mutated"
    for out in result.requests:
        problems = [str(p) for p in iter_errors(out)]
        assert problems == [], (out.to_json(), problems)
    assert unaccounted(request, result) == []


def test_recorded_losses_and_changes_are_the_frozen_values_their_constructors_build() -> None:
    import dataclasses

    from cio_schemas.conversion import Change, Context, Loss

    ctx = Context(source=Request("POST", "/v1/track", {"event": "x", "userId": "u"}), target="track-v2")
    ctx.lose("/body/a", {"b": [1]}, "no-home", "why")
    ctx.change("/body/t", "2024-01-01T00:00:00Z", 1704067200)
    loss, change = ctx.losses[0], ctx.changes[0]
    assert loss == Loss("/body/a", {"b": [1]}, "no-home", "why") and type(loss) is Loss
    assert change == Change("/body/t", "2024-01-01T00:00:00Z", 1704067200, "timestamp") and type(change) is Change
    assert repr(loss) == repr(Loss("/body/a", {"b": [1]}, "no-home", "why"))
    assert dataclasses.asdict(change) == change.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        loss.reason = "other"  # type: ignore[misc]
