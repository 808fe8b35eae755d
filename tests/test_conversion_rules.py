"""Conversion rules pinned one by one: merges, limits at their boundaries, what a loss carries.

Each test names a rule users rely on that a changed line in the converters would break; together they
are the cases a mutation run of the converters showed no other test to hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cio_schemas import Request, convert, convert_many
from cio_schemas.errors import LossyConversionError, UnsupportedConversionError

ACME = {"identifiers": {"object_type_id": "1", "object_id": "acme"}}


def _v2(op: dict[str, Any]) -> Request:
    return Request("POST", "/api/v2/entity", op)


def _identify(attributes: dict[str, Any], **extra: Any) -> Request:
    return _v2({"type": "person", "action": "identify", "identifiers": {"id": "u1"}, "attributes": attributes, **extra})


def _bodies(conversions: list[Any]) -> list[Any]:
    return [r.body for c in conversions for r in c.requests]


# -- the Track v1 merge (convert_many) ---------------------------------------------------------
def test_two_identifies_of_one_person_stay_two_when_the_later_has_attributes() -> None:
    """Only a relationship-only identify joins the one before it: attributes are never folded away."""
    later = _identify({"b": 2}, cio_relationships=[ACME])
    bodies = _bodies(convert_many([_identify({"a": 1}), later], "track-v1"))
    assert bodies == [{"a": 1}, {"b": 2, "cio_relationships": {"action": "add_relationships", "relationships": [ACME]}}]


def test_a_relationship_after_a_delete_does_not_merge_into_it() -> None:
    """A DELETE of the same person has the same path and no body: it is no identify to merge into."""
    delete = _v2({"type": "person", "action": "delete", "identifiers": {"id": "u1"}})
    relate = _v2(
        {"type": "person", "action": "add_relationships", "identifiers": {"id": "u1"}, "cio_relationships": [ACME]}
    )
    out = [r for c in convert_many([delete, relate], "track-v1") for r in c.requests]
    assert [r.method for r in out] == ["DELETE", "PUT"]


def test_an_update_only_identify_keeps_relationship_additions_apart() -> None:
    """``_update`` means "only if the person exists": an addition merged into it would inherit that condition."""
    relate = _v2(
        {"type": "person", "action": "add_relationships", "identifiers": {"id": "u1"}, "cio_relationships": [ACME]}
    )
    bodies = _bodies(convert_many([_identify({"_update": True, "a": 1}), relate], "track-v1"))
    assert bodies == [
        {"_update": True, "a": 1},
        {"cio_relationships": {"action": "add_relationships", "relationships": [ACME]}},
    ]


def test_merged_requests_stay_within_the_request_limit() -> None:
    """Two requests whose merge would pass 32,000 bytes stay two; landing exactly on it, they merge."""
    relate = _v2(
        {"type": "person", "action": "add_relationships", "identifiers": {"id": "u1"}, "cio_relationships": [ACME]}
    )
    rel_body = convert(relate, "track-v1").requests[0].body

    def merged_size(attributes: dict[str, Any]) -> int:
        return len(json.dumps({**attributes, **rel_body}, separators=(",", ":")))

    attributes = {f"k{i}": "x" * 900 for i in range(34)}
    attributes["pad"] = ""
    attributes["pad"] = "x" * (32_000 - merged_size(attributes))
    assert merged_size(attributes) == 32_000
    for extra, merged in (("", True), ("x", False)):
        identify = _identify({**attributes, "pad": attributes["pad"] + extra})
        bodies = _bodies(convert_many([identify, relate], "track-v1"))
        assert len(bodies) == (1 if merged else 2)


def test_convert_many_in_strict_mode_refuses_a_lossy_input() -> None:
    lossy = Request("POST", "/v1/track", {"userId": "u1", "event": "e", "context": {"ip": "1.2.3.4"}})
    with pytest.raises(LossyConversionError):
        convert_many([lossy], "track-v1", strict=True)
    assert len(convert_many([lossy], "track-v1")[0].losses) == 1


# -- batches ----------------------------------------------------------------------------------
def test_a_batch_to_its_own_api_leaves_out_the_item_it_reports_too_large() -> None:
    big = {"type": "identify", "userId": "u1", "traits": {"a": "x" * 70_000}}
    small = {"type": "identify", "userId": "u2"}
    result = convert(Request("POST", "/v1/batch", {"batch": [big, small]}), "pipelines")
    assert [r.body["batch"] for r in result.requests] == [[small]]
    assert [(x.pointer, x.reason, x.value) for x in result.losses] == [("/body/batch/0", "too-large", big)]


def test_a_too_large_batch_item_is_reported_with_the_source_item_as_its_value() -> None:
    """The loss holds what the caller sent (the v2 operation), not the Pipelines item it became."""
    op = {"type": "person", "action": "identify", "identifiers": {"id": "u1"}, "attributes": {"a": "x" * 999}}
    op["attributes"].update({f"k{i}": "y" * 990 for i in range(70)})
    result = convert(Request("POST", "/api/v2/batch", {"batch": [op]}), "pipelines", limits="pipelines-openapi")
    (loss,) = result.losses
    assert (loss.pointer, loss.reason, loss.value) == ("/body/batch/0", "too-large", op)


def test_a_group_without_a_person_too_large_for_a_call_is_reported() -> None:
    """An object-only /group is sent on its own, outside the batch, so it is held to the per-call limit."""
    op = {
        "type": "object",
        "action": "identify",
        "identifiers": {"object_type_id": "1", "object_id": "acme"},
        "attributes": {f"k{i}": "v" * 900 for i in range(40)},
    }
    result = convert(Request("POST", "/api/v2/batch", {"batch": [op]}), "pipelines", limits="pipelines-openapi")
    assert result.requests == ()
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/batch/0", "too-large")]


def test_an_anonymous_group_item_stays_in_the_batch() -> None:
    op = {
        "type": "object",
        "action": "identify_anonymous",
        "identifiers": {"object_type_id": "1", "object_id": "acme"},
        "cio_relationships": [{"identifiers": {"anonymous_id": "a1"}}],
    }
    (out,) = convert(Request("POST", "/api/v2/batch", {"batch": [op]}), "pipelines").requests
    assert out.path == "/v1/batch" and out.body["batch"][0]["anonymousId"] == "a1"


def test_a_batch_merge_stays_within_the_item_limit() -> None:
    """An identify and the /group calls of its relationships rejoin only while the item fits 32,000 bytes."""
    traits = {f"k{i}": "x" * 900 for i in range(35)}
    calls = [{"type": "identify", "userId": "u1", "traits": traits}]
    calls += [
        {"type": "group", "userId": "u1", "groupId": f"g{i}", "traits": {"object_type_id": "1"}} for i in range(5)
    ]
    (out,) = convert(Request("POST", "/v1/batch", {"batch": calls}), "track-v2").requests
    items = out.body["batch"]
    sizes = [len(json.dumps(i, separators=(",", ":"))) for i in items]
    assert sizes[0] > 31_500 and len(items) > 1 and max(sizes) <= 32_000
    assert sum(len(i.get("cio_relationships", [])) for i in items) == 5


def test_an_empty_batch_output_records_no_shape_change() -> None:
    unsupported = {"type": "object", "action": "delete", "identifiers": {"object_type_id": "1", "object_id": "a"}}
    result = convert(Request("POST", "/api/v2/batch", {"batch": [unsupported]}), "track-v1")
    assert result.requests == () and result.changes == ()


# -- timestamps -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("timestamp", "reasons"),
    [
        ("2023-04-26T13:42:19+02:00", ["offset"]),
        ("2023-04-26T13:42:19+00:00", []),
        ("2023-04-26T13:42:19.5Z", ["precision"]),
    ],
)
def test_what_whole_utc_seconds_cannot_keep_is_reported(timestamp: str, reasons: list[str]) -> None:
    result = convert(Request("POST", "/v1/track", {"userId": "u1", "event": "e", "timestamp": timestamp}), "track-v1")
    assert [x.reason for x in result.losses] == reasons


def test_a_created_at_with_a_fraction_beside_the_same_second_reports_the_fraction() -> None:
    traits = {"created_at": 1361205308, "createdAt": "2013-02-18T16:35:08.250Z"}
    result = convert(Request("POST", "/v1/identify", {"userId": "u1", "traits": traits}), "track-v2")
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/traits/createdAt", "precision")]


# -- identifiers and blanks -------------------------------------------------------------------
@pytest.mark.parametrize(("length", "converts"), [(146, True), (147, False)])
def test_a_track_v1_path_identifier_is_at_most_150_bytes(length: int, converts: bool) -> None:
    """A cio_id takes its ``cio_`` prefix in a v1 path: 146 characters make 150 bytes, 147 one too many."""
    op = {"type": "person", "action": "delete", "identifiers": {"cio_id": "i" * length}}
    if converts:
        assert convert(_v2(op), "track-v1").requests[0].path.endswith("cio_" + "i" * length)
    else:
        with pytest.raises(UnsupportedConversionError, match="at most 150 bytes"):
            convert(_v2(op), "track-v1")


def test_blank_identifiers_and_tokens_name_nothing() -> None:
    with pytest.raises(UnsupportedConversionError, match="blank"):
        convert(Request("DELETE", "/api/v1/customers/cio_%20"), "track-v2")
    device = {"userId": "u1", "event": "Device Deleted", "context": {"device": {"token": " "}}}
    with pytest.raises(UnsupportedConversionError, match="non-empty string"):
        convert(Request("POST", "/v1/track", device), "track-v1")
    delete = _v2({"type": "person", "action": "delete_device", "identifiers": {"id": "u1"}, "device": {"token": " "}})
    with pytest.raises(UnsupportedConversionError):
        convert(delete, "track-v1")


def test_an_identify_with_a_timestamp_and_relationships_keeps_to_300_keys() -> None:
    """``_timestamp`` and ``cio_relationships`` count toward Track v1's 300 keys."""
    op = {
        "type": "person",
        "action": "identify",
        "identifiers": {"id": "u1"},
        "attributes": {f"k{i}": i for i in range(299)},
        "timestamp": 1361205308,
        "cio_relationships": [ACME],
    }
    result = convert(_v2(op), "track-v1")
    assert len(result.requests[0].body) == 300
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/attributes/k298", "not-allowed")]


@pytest.mark.parametrize("value", ["", "yes"])
def test_push_enabled_is_the_string_true_or_false(value: str) -> None:
    body = {"userId": "u1", "event": "Device Created or Updated", "context": {"device": {"token": "t", "type": "ios"}}}
    result = convert(Request("POST", "/v1/track", {**body, "properties": {"push_enabled": value}}), "track-v1")
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/properties/push_enabled", "not-allowed")]


# -- the command line's report files ----------------------------------------------------------
def test_an_existing_losses_file_is_replaced_not_appended_to(tmp_path: Path) -> None:
    import io

    from cio_schemas.cli import run

    losses = tmp_path / "losses.jsonl"
    losses.write_text("old\n")
    line = json.dumps(
        {"method": "POST", "path": "/v1/track", "body": {"userId": "u", "event": "e", "context": {"ip": "x"}}}
    )
    code = run(
        ["convert", "--to", "track-v1", "--losses", str(losses)],
        io.StringIO(),
        io.StringIO(),
        io.BytesIO(line.encode()),
    )
    assert code == 0 and [json.loads(x)["pointer"] for x in losses.read_text().splitlines()] == ["/body/context"]


@pytest.mark.parametrize("spelling", ["same", "dot-slash"])
def test_losses_and_changes_cannot_name_one_file(
    tmp_path: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from cio_schemas.cli import run

    monkeypatch.chdir(tmp_path)
    other = "report.jsonl" if spelling == "same" else "./report.jsonl"
    err = io.StringIO()
    argv = ["convert", "--to", "track-v1", "--losses", "report.jsonl", "--changes", other]
    assert run(argv, io.StringIO(), err, io.BytesIO(b"")) == 2
    assert "give each its own file" in err.getvalue()


# -- Pipelines nulls, page names, a call's type, empty traits -----------------------------------
@pytest.mark.parametrize(
    ("path", "body", "target"),
    [
        ("/v1/identify", {"userId": None, "anonymousId": "a1", "traits": {"email": "a@example.com"}}, "track-v2"),
        ("/v1/group", {"userId": None, "anonymousId": "a1", "groupId": "acme"}, "track-v2"),
        (
            "/v1/track",
            {"userId": None, "event": "Report Delivery Event", "properties": {"deliveryId": "d", "metric": "opened"}},
            "track-v1",
        ),
        ("/v1/batch", {"batch": [{"type": "track", "userId": None, "anonymousId": "a1", "event": "e"}]}, "track-v1"),
    ],
)
def test_a_null_user_id_is_absent_and_loses_nothing(path: str, body: dict[str, Any], target: str) -> None:
    """The Pipelines schemas read ``userId: null`` as no userId: strict mode converts such a call."""
    result = convert(Request("POST", path, body), target, strict=True)
    assert result.requests and result.losses == ()


def test_a_page_name_repeating_the_url_moves_nothing() -> None:
    body = {"userId": "u1", "name": "https://x.com/p", "properties": {"url": "https://x.com/p"}}
    for target in ("track-v1", "track-v2"):
        result = convert(Request("POST", "/v1/page", body), target)
        assert result.changes == () and result.losses == ()


def test_a_batch_item_keeps_its_type_so_nothing_is_implied() -> None:
    batch = {"batch": [{"type": "track", "userId": "u1", "event": "e"}]}
    result = convert(Request("POST", "/v1/batch", batch), "track-v2")
    assert result.changes == () and result.losses == ()


def test_empty_traits_to_track_v1_are_implied() -> None:
    result = convert(Request("POST", "/v1/identify", {"userId": "u1", "traits": {}}), "track-v1")
    assert [(c.pointer, c.reason) for c in result.changes] == [("/body/traits", "implied")]
    assert result.requests[0].body == {}
