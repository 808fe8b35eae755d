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

import json
from typing import Any

import pytest
from conftest import load_cases

from cio_schemas import Request, iter_errors
from cio_schemas.conversion import CHANGE_REASONS, REASONS
from cio_schemas.converters import convert, convert_many
from cio_schemas.errors import LossyConversionError, UnsupportedConversionError
from cio_schemas.sizes import Limits

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


def _big_track(size: int) -> dict[str, Any]:
    return {"userId": "u1", "event": "Order Completed", "properties": {"note": "x" * size}}


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_output_over_the_request_limit_is_reported_not_returned(target: str) -> None:
    """A 40 KB Pipelines call fits Pipelines (64 KB) but not one Track request (32 KB)."""
    body = _big_track(40_000)
    result = convert(Request("POST", "/v1/track", body), target)
    assert result.requests == ()
    [loss] = [x for x in result.losses if x.reason == "too-large"]
    assert loss.pointer == "/body"
    assert loss.value == body
    assert "32000 bytes" in loss.message
    with pytest.raises(LossyConversionError):
        convert(Request("POST", "/v1/track", body), target, strict=True)
    # Under the limit, the same call converts.
    assert len(convert(Request("POST", "/v1/track", _big_track(20_000)), target).requests) == 1


def test_output_limit_follows_the_limits_option() -> None:
    body = _big_track(40_000)
    roomy = Limits(
        track_single=64_000,
        track_batch=500_000,
        track_item=64_000,
        pipelines_single=64_000,
        pipelines_batch=1_000_000,
        pipelines_item=64_000,
    )
    result = convert(Request("POST", "/v1/track", body), "track-v1", limits=roomy)
    assert len(result.requests) == 1
    assert not [x for x in result.losses if x.reason == "too-large"]


def test_batch_item_over_the_track_v1_limit_is_reported_by_index() -> None:
    big, small = {"type": "track", **_big_track(40_000)}, {"type": "track", "userId": "u1", "event": "small"}
    result = convert(Request("POST", "/v1/batch", {"batch": [big, small]}), "track-v1")
    assert [r.body["name"] for r in result.requests] == ["small"]
    assert [(x.pointer, x.reason) for x in result.losses if x.reason == "too-large"] == [("/body/batch/0", "too-large")]


def test_a_batch_whose_every_item_is_too_large_reports_its_batch_level_values_too() -> None:
    """Converted to its own API, a batch of only oversize items sends nothing, and says so for every value."""
    item = {"type": "identify", "userId": "u1", "traits": {"a": "x" * 70_000}}
    body = {"batch": [item], "context": {"ip": "1.2.3.4"}, "integrations": {"All": False}}
    result = convert(Request("POST", "/v1/batch", body), "pipelines")
    assert result.requests == ()
    assert [(x.pointer, x.reason) for x in result.losses] == [
        ("/body/batch/0", "too-large"),
        ("/body/context", "too-large"),
        ("/body/integrations", "too-large"),
    ]


def test_a_batch_item_too_large_once_converted_is_named_by_its_own_pointer() -> None:
    """After an item splits into several, the message for a later one speaks of it, not of a re-packed index."""
    relate = [{"identifiers": {"object_type_id": "1", "object_id": f"o{k}"}} for k in range(3)]
    rel = {"type": "person", "action": "identify", "identifiers": {"id": "u0"}, "cio_relationships": relate}
    token = "t" * 31_887
    big = {"type": "delivery", "action": "event", "identifiers": {"id": "d1"}, "name": "opened"}
    body = {"batch": [rel, {**big, "attributes": {"device_token": token}}]}
    (loss,) = convert(Request("POST", "/api/v2/batch", body), "pipelines", limits="pipelines-openapi").losses
    assert (loss.pointer, loss.reason) == ("/body/batch/1", "too-large")
    assert loss.message == "as a pipelines batch item it is 32001 bytes, over the 32000-byte limit for one item"


def _identify_and_group(size: int) -> tuple[dict[str, Any], dict[str, Any]]:
    attrs = {f"k{i}": "v" * 900 for i in range(size)}
    identify = {"userId": "u1", "traits": dict(attrs)}
    group = {"userId": "u1", "groupId": "g1", "traits": {"objectTypeId": 1, "relationship_traits": dict(attrs)}}
    return identify, group


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_requests_are_not_merged_over_the_request_limit(target: str) -> None:
    """An identify and its relationship, each 18 KB, stay two requests: merged they would be over 32 KB."""
    identify, group = _identify_and_group(20)
    calls = [Request("POST", "/v1/identify", identify), Request("POST", "/v1/group", group)]
    requests = [r for c in convert_many(calls, target, strict=True) for r in c.requests]
    assert len(requests) == 2
    assert all(len(json.dumps(r.body, separators=(",", ":"))) <= 32_000 for r in requests)
    batch = Request("POST", "/v1/batch", {"batch": [{"type": "identify", **identify}, {"type": "group", **group}]})
    if target == "track-v1":
        assert len(convert(batch, target, strict=True).requests) == 2
    # Small enough, the same two calls merge into one request.
    identify, group = _identify_and_group(2)
    calls = [Request("POST", "/v1/identify", identify), Request("POST", "/v1/group", group)]
    assert len([r for c in convert_many(calls, target) for r in c.requests]) == 1


def _tupled(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, dict):
        return {k: _tupled(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "case", [c for _, c in CASES if "unsupported" not in c], ids=[i for i, c in CASES if "unsupported" not in c]
)
def test_tuples_convert_as_lists(case: dict[str, Any]) -> None:
    """A body built with tuples converts exactly as the same body built with lists (nothing dropped)."""
    request = Request.from_json(case["input"])
    tupled = Request(request.method, request.path, _tupled(request.body))
    expected, got = convert(request, case["to"]), convert(tupled, case["to"])
    assert json.dumps([r.to_json() for r in got.requests]) == json.dumps([r.to_json() for r in expected.requests])
    assert [(x.pointer, x.reason) for x in got.losses] == [(x.pointer, x.reason) for x in expected.losses]
    assert got.source is tupled


def test_every_reason_is_documented_and_used() -> None:
    """Every loss and change reason the case files produce is documented, and every documented one occurs.

    One event too large for Track v2's event data, built here, joins the case files (which stay small).
    """
    losses: set[str] = set()
    changes: set[str] = set()
    inputs = [(c["input"], c["to"]) for _, c in CASES if "unsupported" not in c]
    inputs.append(({"method": "POST", "path": "/v1/track", "body": _big_track(100_000)}, "track-v2"))
    for envelope, to in inputs:
        result = convert(Request.from_json(envelope), to)
        losses.update(loss.reason for loss in result.losses)
        changes.update(change.reason for change in result.changes)
    assert losses == set(REASONS)
    assert changes == set(CHANGE_REASONS)
