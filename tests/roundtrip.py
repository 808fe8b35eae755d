"""Helpers for round-trip properties.

Exact means the same JSON value: the same keys, and values of the same JSON
types (``1``, ``1.0`` and ``true`` differ, though Python's ``==`` calls them
equal). Key order is not compared: JSON objects are unordered, and neither API
gives it meaning.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from cio_schemas.conversion import Conversion
from cio_schemas.errors import parts_from_pointer


def canonical(value: Any) -> str:
    """``value`` as canonical JSON text (keys sorted): equal texts are the same JSON value, types included."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def without_implied(envelope: dict[str, Any], conversion: Conversion) -> dict[str, Any]:
    """``envelope`` without the values ``conversion`` reported as ``implied`` (a round trip leaves them out)."""
    out = copy.deepcopy(envelope)
    for change in conversion.changes:
        if change.reason == "implied":
            *parents, key = parts_from_pointer(change.pointer)
            holder: Any = out
            for part in parents:
                holder = holder[part]
            del holder[key]
    return out
