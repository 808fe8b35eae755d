"""The conversion case files: every case in ``tests/cases/convert/`` through ``convert``.

Case fields: ``description``, ``source`` (where the expectation comes from),
``input`` (a request envelope), ``to`` (the target API), then either
``expected`` (the list of output envelopes) with optional ``losses``
(``[{"pointer", "reason"}]``, exactly the losses reported), ``changes``
(pointers of values carried in another form) and ``notes`` (substrings), or
``unsupported`` (a substring of the reason). ``reverse: true`` also converts
the expected requests back (``convert_many``) and requires the input, exactly,
with no losses: one case, both directions.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import load_cases

from cio_schemas import Request, iter_errors
from cio_schemas.converters import convert, convert_many
from cio_schemas.errors import UnsupportedConversionError

CASES = list(load_cases("convert"))


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case: dict[str, Any]) -> None:
    request = Request.from_json(case["input"])
    if "unsupported" in case:
        with pytest.raises(UnsupportedConversionError) as info:
            convert(request, case["to"])
        assert case["unsupported"] in str(info.value)
        return
    result = convert(request, case["to"])
    assert [r.to_json() for r in result.requests] == case["expected"]
    for r in result.requests:
        assert list(iter_errors(r)) == [], (r.to_json(), [str(p) for p in iter_errors(r)])
    got_losses = sorted((loss.pointer, loss.reason) for loss in result.losses)
    assert got_losses == sorted((x["pointer"], x["reason"]) for x in case.get("losses", [])), got_losses
    if "changes" in case:
        assert sorted(c.pointer for c in result.changes) == sorted(case["changes"])
    for note in case.get("notes", []):
        assert any(note in n for n in result.notes), result.notes
    if case.get("reverse"):
        back = convert_many([Request.from_json(e) for e in case["expected"]], request.api)
        requests = [r.to_json() for c in back for r in c.requests]
        assert requests == [case["input"]]
        assert [loss for c in back for loss in c.losses] == []


@pytest.mark.parametrize(
    ("user_id", "kind"),
    [
        ("ann@example.com", "email"),
        ("a@b.c.d", "email"),
        ("cio_abc123", "cio_id"),
        ("42", "id"),
        ("ann@example.com\n", "id"),  # whitespace: not an address
        ("ann smith@example.com", "id"),
        ("@example.com", "id"),
        ("ann@.com", "id"),
        ("ann@example.", "id"),
        ("ann@example", "id"),
        ("a@b@c.d", "id"),
    ],
)
def test_user_id_kind_by_shape(user_id: str, kind: str) -> None:
    """A Pipelines userId becomes the Track v2 identifier its shape names."""
    out = convert(Request("POST", "/v1/identify", {"userId": user_id}), "track-v2")
    expected = user_id[4:] if kind == "cio_id" else user_id
    assert out.requests[0].body["identifiers"] == {kind: expected}
