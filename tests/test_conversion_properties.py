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
