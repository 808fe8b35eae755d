"""Leaf accounting: every input value of a conversion is in the output or in the loss report.

A *leaf* is a scalar or an empty object/array, at a JSON pointer into the
request's JSON form (``/body/traits/plan``; path parameters are leaves at
``/path/<name>``). A leaf is accounted for when

- its value appears among the output's leaves (bodies and decoded path
  parameters), directly or in a form the library documents (Unix seconds ↔
  ISO 8601, ``cio_`` prefix, integer ↔ decimal string), or
- it is empty (``""``, ``{}``, ``[]``), or a Pipelines ``userId``/``anonymousId``/``name``
  that is ``null`` (the same as absent), or
- a loss or a change was reported at its pointer or at an ancestor, or
- it is structural: it selected the output's route rather than being data
  (``type``, ``action``, a semantic ``event`` name, a relationship ``action``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from cio_schemas import Request
from cio_schemas.catalog import SEMANTIC_EVENTS
from cio_schemas.conversion import Conversion
from cio_schemas.errors import CioSchemasError, pointer_from_parts

STRUCTURAL_KEYS = {"type", "action"}
NULL_MEANS_ABSENT = {"userId", "anonymousId", "name"}


def leaves(value: Any, parts: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from leaves(v, (*parts, k))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from leaves(v, (*parts, i))
    else:
        yield parts, value


def _forms(value: Any) -> set[Any]:
    from cio_schemas.timestamps import to_iso, to_unix

    forms: set[Any] = set()
    if isinstance(value, bool) or value is None:
        return {("b", value)}
    if isinstance(value, (dict, list)):
        return {("j", repr(value))}
    forms.add(("v", value))
    if isinstance(value, int):
        forms.add(("v", str(value)))
        with contextlib.suppress(CioSchemasError):
            forms.add(("v", to_iso(value)))
    if isinstance(value, str):
        if value.isdigit():
            forms.add(("v", int(value)))
        if value.startswith("cio_"):
            forms.add(("v", value[4:]))
        forms.add(("v", "cio_" + value))
        with contextlib.suppress(CioSchemasError):
            forms.add(("v", to_unix(value)))
    return forms


def _output_values(result: Conversion) -> set[Any]:
    out: set[Any] = set()
    for r in result.requests:
        for _, v in leaves(r.body):
            out.add(
                ("b", v)
                if isinstance(v, bool) or v is None
                else ("j", repr(v))
                if isinstance(v, (dict, list))
                else ("v", v)
            )
        for v in r.params.values():
            out.add(("v", v))
    return out


def unaccounted(request: Request, result: Conversion) -> list[tuple[str, Any]]:
    """The input leaves that are neither in the output nor reported."""
    reported = [loss.pointer for loss in result.losses] + [c.pointer for c in result.changes]
    produced = _output_values(result)
    missing: list[tuple[str, Any]] = []
    items: list[tuple[tuple[str | int, ...], Any]] = [(("path", k), v) for k, v in request.params.items()]
    items += [(("body", *p), v) for p, v in leaves(request.body)] if request.body is not None else []
    for parts, value in items:
        pointer = pointer_from_parts(parts)
        if any(pointer == r or pointer.startswith(r + "/") for r in reported):
            continue
        key = parts[-1] if len(parts) > 1 else None
        if key in STRUCTURAL_KEYS or (key == "event" and value in SEMANTIC_EVENTS):
            continue
        if value in ("", {}, []) and not isinstance(value, bool):
            continue  # an empty string or container carries no value
        if value is None and key in NULL_MEANS_ABSENT and parts[:2] != ("body", "traits"):
            continue  # Pipelines: a null id or page name is the same as none (deviation P24)
        if _forms(value) & produced:
            continue
        missing.append((pointer, value))
    return missing
