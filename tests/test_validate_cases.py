"""The validation case files: every case in ``tests/cases/validate/`` through ``iter_errors``.

A valid case must produce no problem; an invalid one must produce at least the
listed problems (matched on JSON pointer, and on keyword when the case names one).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import load_cases

from cio_schemas import InvalidPayloadError, Request, iter_errors, validate

CASES = list(load_cases("validate"))


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case: dict[str, Any]) -> None:
    request = Request.from_json(case["request"])
    problems = list(iter_errors(request))
    if case["valid"]:
        assert problems == [], [str(p) for p in problems]
        validate(request)
        return
    assert problems, "expected problems, got none"
    found = {(p.pointer, p.keyword) for p in problems}
    for expected in case["errors"]:
        if "keyword" in expected:
            assert (expected["pointer"], expected["keyword"]) in found, (expected, sorted(found))
        else:
            assert expected["pointer"] in {p for p, _ in found}, (expected, sorted(found))
    with pytest.raises(InvalidPayloadError) as info:
        validate(request)
    assert list(info.value.problems) == problems


def test_every_body_route_has_cases() -> None:
    from cio_schemas.catalog import ROUTES

    covered = {Request.from_json(c["request"]).route.name for _, c in CASES}
    missing = [r.name for r in ROUTES if r.name not in covered]
    assert not missing, missing
