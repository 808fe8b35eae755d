"""Edge cases where a value was once lost without a word, or an output came out invalid."""

from __future__ import annotations

from typing import Any

import pytest

from cio_schemas import Request, convert, convert_many, is_valid, iter_errors
from cio_schemas.errors import LossyConversionError, UnsupportedConversionError


def _post(path: str, body: dict[str, Any]) -> Request:
    return Request("POST", path, body)


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
@pytest.mark.parametrize("fraction", [".0009", ".0001", ".000001", ".0000001", ".1", ".001"])
def test_any_sub_second_digit_dropped_going_to_track_is_a_precision_loss(target: str, fraction: str) -> None:
    stamp = f"2024-01-01T00:00:00{fraction}Z"
    request = _post("/v1/identify", {"userId": "u", "timestamp": stamp, "traits": {"seen": stamp}})
    with pytest.raises(LossyConversionError):
        convert(request, target, strict=True)
    losses = {(x.pointer, x.reason) for x in convert(request, target).losses}
    assert losses == {("/body/timestamp", "precision"), ("/body/traits/seen", "precision")}


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_whole_seconds_with_zero_digits_are_not_a_loss(target: str) -> None:
    stamp = "2024-01-01T00:00:00.000000Z"
    assert convert(_post("/v1/identify", {"userId": "u", "timestamp": stamp}), target).losses == ()


@pytest.mark.parametrize(("user_id", "previous_id"), [("x" * 151, "p"), ("u", "é" * 76)])
def test_an_alias_whose_ids_do_not_fit_a_track_v1_merge_is_unsupported(user_id: str, previous_id: str) -> None:
    with pytest.raises(UnsupportedConversionError, match="150 bytes"):
        convert(_post("/v1/alias", {"userId": user_id, "previousId": previous_id}), "track-v1")
    fits = convert(_post("/v1/alias", {"userId": "x" * 150, "previousId": "p"}), "track-v1")
    assert is_valid(fits.requests[0])


def test_a_lone_surrogate_in_a_path_is_invalid() -> None:
    request = Request("PUT", "/api/v1/customers/\ud800", {"a": 1})
    [problem] = iter_errors(request)
    assert problem.keyword == "path" and "surrogate" in problem.message


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
@pytest.mark.parametrize(("raw", "text"), [(1.0, "1"), (7, "7")])  # the semantic schema takes integers
def test_a_relationship_deleted_object_type_is_written_as_track_writes_ids(target: str, raw: Any, text: str) -> None:
    properties = {"objectId": "o", "objectTypeId": raw}
    result = convert(
        _post("/v1/track", {"userId": "u", "event": "Relationship Deleted", "properties": properties}), target
    )
    body = result.requests[0].body
    relationships = body["cio_relationships"]
    [relationship] = relationships["relationships"] if isinstance(relationships, dict) else relationships
    assert relationship["identifiers"] == {"object_type_id": text, "object_id": "o"}
    changes = [(c.pointer, c.before, c.after) for c in result.changes]
    assert changes == [("/body/properties/objectTypeId", raw, text)]
    assert result.losses == ()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/identify", {"userId": "  ", "traits": {"email": "a@example.com"}}),
        ("/v1/track", {"userId": "  ", "anonymousId": "an", "event": "e"}),
        ("/v1/page", {"userId": "", "anonymousId": "an", "name": "Home"}),
    ],
)
def test_a_blank_user_id_is_reported_going_to_track_v1(path: str, body: dict[str, Any]) -> None:
    result = convert(_post(path, body), "track-v1")
    assert ("/body/userId", "ignored") in [(x.pointer, x.reason) for x in result.losses]


def test_a_null_user_id_is_no_loss() -> None:
    result = convert(_post("/v1/track", {"userId": None, "anonymousId": "an", "event": "e"}), "track-v1")
    assert result.losses == ()


def _round_trip(request: Request, via: str) -> tuple[Any, list[tuple[str, str]]]:
    from cio_schemas import convert_many

    there = convert(request, via)
    back = convert_many(there.requests, request.route.api)
    [out] = [r for c in back for r in c.requests]
    return out.body, [(x.pointer, x.reason) for x in there.losses] + [
        (x.pointer, x.reason) for c in back for x in c.losses
    ]


def test_a_v2_page_category_comes_back_as_the_string_it_was() -> None:
    body = {"type": "person", "action": "page", "identifiers": {"id": "u"}, "name": "https://a"}
    request = _post("/api/v2/entity", {**body, "attributes": {"category": "2024-01-01", "seen": 5}})
    assert _round_trip(request, "pipelines") == (request.body, [])


def test_an_object_attribute_named_object_type_id_is_reported_going_to_pipelines() -> None:
    identifiers = {"object_type_id": "1", "object_id": "o"}
    request = _post(
        "/api/v2/entity",
        {"type": "object", "action": "identify", "identifiers": identifiers, "attributes": {"objectTypeId": "x"}},
    )
    result = convert(request, "pipelines")
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/attributes/objectTypeId", "conflict")]
    assert "objectTypeId" not in result.requests[0].body["traits"]


@pytest.mark.parametrize("created", [1e16, 1000000000.0, 10**10])
@pytest.mark.parametrize("via", ["pipelines", "track-v2"])
def test_a_whole_number_created_at_survives_a_track_v1_round_trip(created: Any, via: str) -> None:
    request = Request("PUT", "/api/v1/customers/u", {"created_at": created})
    body, losses = _round_trip(request, via)
    assert body == {"created_at": created} and losses == []


@pytest.mark.parametrize(
    ("kind", "user_id", "path", "lost"),
    [
        ("auto", "cio_abc", "/api/v1/customers/cio_abc", False),
        ("cio_id", "abc", "/api/v1/customers/cio_abc", False),
        ("cio_id", "cio_abc", "/api/v1/customers/cio_abc", False),
        ("id", "cio_abc", "/api/v1/customers/cio_abc", True),
        ("email", "abc", "/api/v1/customers/abc", True),
        ("email", "a@example.com", "/api/v1/customers/a%40example.com", False),
    ],
)
@pytest.mark.parametrize("call", ["/v1/identify", "/v1/track", "/v1/group"])
def test_identifier_kind_is_honoured_in_track_v1_paths(
    kind: str, user_id: str, path: str, lost: bool, call: str
) -> None:
    body = {"userId": user_id, "event": "e", "groupId": "g"} if call != "/v1/identify" else {"userId": user_id}
    if call == "/v1/group":
        body.pop("event")
    result = convert(_post(call, body), "track-v1", identifier_kind=kind)
    assert result.requests[0].path.startswith(path)
    kinds = [(x.pointer, x.reason) for x in result.losses if x.reason == "identifier-kind"]
    assert kinds == ([("/body/userId", "identifier-kind")] if lost else [])


@pytest.mark.parametrize("key", ["_update", "_timestamp"])
def test_track_v1_control_fields_cannot_come_from_traits(key: str) -> None:
    value = True if key == "_update" else 1700000000
    result = convert(_post("/v1/identify", {"userId": "u", "traits": {key: value, "plan": "pro"}}), "track-v1")
    assert result.requests[0].body == {"plan": "pro"}
    assert [(x.pointer, x.reason) for x in result.losses] == [(f"/body/traits/{key}", "not-allowed")]


@pytest.mark.parametrize("target", ["pipelines", "track-v2"])
def test_a_query_string_dropped_in_conversion_is_reported(target: str) -> None:
    result = convert(Request("PUT", "/api/v1/customers/u?id_type=email", {"plan": "pro"}), target)
    assert [(x.pointer, x.value, x.reason) for x in result.losses] == [("/path", "?id_type=email", "no-home")]
    assert "?" not in result.requests[0].path


def test_a_v1_path_identifier_blank_without_its_cio_prefix_names_nobody_in_track_v2() -> None:
    with pytest.raises(UnsupportedConversionError, match="blank once its cio_ prefix is removed"):
        convert(Request("PUT", "/api/v1/customers/cio_", {"plan": "pro"}), "track-v2")


def test_a_request_converted_to_its_own_api_is_itself_when_it_fits() -> None:
    request = _post("/v1/track", {"userId": "u", "event": "e"})
    result = convert(request, "pipelines")
    assert result.requests == (request,) and result.requests[0] is request and result.losses == ()


def test_a_single_request_over_its_own_api_limit_is_a_too_large_loss() -> None:
    request = Request("PUT", "/api/v1/customers/u", {f"k{i}": "x" * 900 for i in range(40)})  # ~36 KB
    result = convert(request, "track-v1")
    assert result.requests == ()
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body", "too-large")]


def test_a_batch_over_its_own_api_limit_is_repacked_in_order() -> None:
    from cio_schemas import check_size

    items = [{"type": "track", "userId": f"u{i}", "event": "e", "properties": {"pad": "x" * 20_000}} for i in range(70)]
    big = {"type": "track", "userId": "big", "event": "e", "properties": {"pad": "x" * 70_000}}
    request = _post("/v1/batch", {"batch": [*items[:10], big, *items[10:]], "context": {"ip": "203.0.113.1"}})
    result = convert(request, "pipelines")
    assert len(result.requests) == 2
    for out in result.requests:
        check_size(out)
        assert out.body["context"] == {"ip": "203.0.113.1"}
    assert [i["userId"] for r in result.requests for i in r.body["batch"]] == [i["userId"] for i in items]
    assert [(x.pointer, x.reason) for x in result.losses] == [("/body/batch/10", "too-large")]


def test_strict_refuses_a_request_converted_to_its_own_api_that_loses_a_part() -> None:
    request = Request("PUT", "/api/v1/customers/u", {f"k{i}": "x" * 900 for i in range(40)})
    with pytest.raises(LossyConversionError):
        convert(request, "track-v1", strict=True)


def test_a_batch_repacked_in_its_own_api_keeps_its_query_string() -> None:
    items = [{"type": "track", "userId": f"u{i}", "event": "e", "properties": {"pad": "x" * 20_000}} for i in range(70)]
    result = convert(_post("/v1/batch?debug=1", {"batch": items}), "pipelines")
    assert len(result.requests) == 2 and {r.path for r in result.requests} == {"/v1/batch?debug=1"}
    assert result.losses == ()


def _relate(path: str, object_id: str) -> Request:
    rel = {
        "action": "add_relationships",
        "relationships": [{"identifiers": {"object_type_id": "1", "object_id": object_id}}],
    }
    return Request("PUT", path, {"cio_relationships": rel})


def test_a_merged_track_v1_identify_stays_within_300_keys() -> None:
    from cio_schemas import convert_many

    path = "/api/v1/customers/42"
    full = Request("PUT", path, {f"k{i}": i for i in range(300)})
    out = [r for c in convert_many([full, _relate(path, "o")], to="track-v1") for r in c.requests]
    assert len(out) == 2 and all(is_valid(r) for r in out)
    roomy = Request("PUT", path, {f"k{i}": i for i in range(299)})
    out = [r for c in convert_many([roomy, _relate(path, "o")], to="track-v1") for r in c.requests]
    assert len(out) == 1 and is_valid(out[0]) and len(out[0].body) == 300


def test_object_identifies_with_different_timestamps_are_not_merged() -> None:
    from cio_schemas import convert_many

    def obj(ts: int, person: str) -> Request:
        identifiers = {"object_type_id": "1", "object_id": "o"}
        body = {"type": "object", "action": "identify", "identifiers": identifiers, "attributes": {"a": 1}}
        return _post(
            "/api/v2/entity", {**body, "timestamp": ts, "cio_relationships": [{"identifiers": {"id": person}}]}
        )

    apart = [r for c in convert_many([obj(1700000000, "p1"), obj(1800000000, "p2")], to="track-v2") for r in c.requests]
    assert [r.body["timestamp"] for r in apart] == [1700000000, 1800000000]
    merged = [
        r for c in convert_many([obj(1700000000, "p1"), obj(1700000000, "p2")], to="track-v2") for r in c.requests
    ]
    assert len(merged) == 1 and len(merged[0].body["cio_relationships"]) == 2


def test_object_identifies_whose_attributes_differ_only_as_json_are_not_merged() -> None:
    from cio_schemas import convert_many

    calls = [
        _post("/v1/group", {"userId": u, "groupId": "g", "traits": {"plan": v}}) for u, v in (("42", 1), ("43", True))
    ]
    out = [r for c in convert_many(calls, to="track-v2") for r in c.requests]
    assert [r.body["attributes"]["plan"] for r in out] == [1, True]


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_an_event_named_like_a_semantic_event_in_other_case_is_noted(target: str) -> None:
    near = convert(_post("/v1/track", {"userId": "u", "event": "device DELETED"}), target)
    assert near.notes == (
        "'device DELETED' is not the semantic event 'Device Deleted' (names match exactly): it is a custom event",
    )
    assert convert(_post("/v1/track", {"userId": "u", "event": "Order"}), target).notes == ()


def _traits(**traits: Any) -> dict[str, Any]:
    return {"userId": "u", "traits": traits}


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
@pytest.mark.parametrize(
    ("body", "lost"),
    [
        (_traits(**{f"k{i}": i for i in range(300)}), []),
        (_traits(**{f"k{i}": i for i in range(301)}), ["/body/traits/k300"]),
        (_traits(**{"n" * 150: 1}), []),
        (_traits(**{"n" * 151: 1, "ok": 1}), ["/body/traits/" + "n" * 151]),
        (_traits(v="é" * 500), []),
        (_traits(v="é" * 500 + "x", ok=1), ["/body/traits/v"]),
    ],
    ids=["300-attributes", "301-attributes", "150-byte-name", "151-byte-name", "1000-byte-value", "1001-byte-value"],
)
def test_track_attribute_limits_are_kept_at_their_boundaries(
    body: dict[str, Any], lost: list[str], target: str
) -> None:
    """At most 300 attributes, names of 150 bytes and values of 1000 bytes (UTF-8): one more is reported, not sent."""
    result = convert(Request("POST", "/v1/identify", body), target)
    assert [(loss.pointer, loss.reason) for loss in result.losses] == [(p, "not-allowed") for p in lost]
    (out,) = result.requests
    attributes = out.body if target == "track-v1" else out.body["attributes"]
    assert sorted(attributes) == sorted(k for k in body["traits"] if f"/body/traits/{k}" not in lost)
    assert is_valid(out)


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_track_event_limits(target: str) -> None:
    """Event names of 100 bytes convert and of 101 do not; event data over 100,000 bytes is reported, not sent."""
    assert convert(Request("POST", "/v1/track", {"userId": "u", "event": "e" * 100}), target).losses == ()
    with pytest.raises(UnsupportedConversionError, match="at most 100 bytes"):
        convert(Request("POST", "/v1/track", {"userId": "u", "event": "e" * 101}), target)
    big = {"userId": "u", "event": "e", "properties": {"d": "x" * 100_000}}
    result = convert(Request("POST", "/v1/track", big), target)
    assert [(loss.pointer, loss.reason) for loss in result.losses] == [("/body/properties", "too-large")]


@pytest.mark.parametrize("target", ["track-v1", "pipelines"])
@pytest.mark.parametrize("action", ["identify", "add_relationships", "delete_relationships"])
def test_a_shape_change_names_what_comes_back(action: str, target: str) -> None:
    """An object operation relating people is reported as a ``shape`` change whose ``after`` is the
    operation that converting back gives."""
    op = {
        "type": "object",
        "action": action,
        "identifiers": {"object_type_id": "1", "object_id": "acme"},
        "cio_relationships": [{"identifiers": {"id": "42"}}],
    }
    there = convert(Request("POST", "/api/v2/entity", op), target)
    (change,) = there.changes
    back = [r.body for c in convert_many(list(there.requests), "track-v2") for r in c.requests]
    assert (change.reason, change.before) == ("shape", f"object/{action}")
    assert [f"{b['type']}/{b['action']}" for b in back] == [change.after]


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_a_moved_change_names_where_the_value_comes_back(target: str) -> None:
    """A device's ``context.app.version`` is its ``app_version`` attribute, and comes back where the change says."""
    body = {
        "userId": "42",
        "event": "Device Created or Updated",
        "context": {"device": {"token": "tok", "type": "ios"}, "app": {"version": "2.1"}},
    }
    there = convert(Request("POST", "/v1/track", body), target)
    (change,) = there.changes
    assert (change.pointer, change.reason) == ("/body/context/app/version", "moved")
    assert (change.before, change.after) == ("context.app.version", "properties.app_version")
    (back,) = [r.body for c in convert_many(list(there.requests), "pipelines") for r in c.requests]
    assert back["properties"] == {"app_version": "2.1"} and "app" not in back["context"]
    assert there.losses == ()


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
@pytest.mark.parametrize(
    ("traits", "created", "lost"),
    [
        ({"created_at": 1361205308, "createdAt": "2013-02-18T16:35:08.000Z"}, 1361205308, []),
        ({"created_at": 5, "createdAt": "2013-02-18T16:35:08.000Z"}, 5, [("/body/traits/createdAt", "conflict")]),
        ({"createdAt": "2013-02-18T16:35:08.250Z"}, 1361205308, [("/body/traits/createdAt", "precision")]),
        (
            {"created_at": "soon", "createdAt": "2013-02-18T16:35:08Z"},
            1361205308,
            [("/body/traits/created_at", "conflict")],
        ),
    ],
)
def test_created_at_is_read_first_and_the_same_value_twice_is_no_conflict(
    traits: dict[str, Any], created: int, lost: list[tuple[str, str]], target: str
) -> None:
    """``traits.created_at`` (Unix seconds) comes before ``traits.createdAt``, as Customer.io's destination
    reads them; a ``createdAt`` naming the same second, or an ``anonymous_id`` trait equal to ``anonymousId``,
    loses nothing."""
    body = {"userId": "u1", "anonymousId": "a1", "traits": {**traits, "anonymous_id": "a1"}}
    result = convert(Request("POST", "/v1/identify", body), target)
    (out,) = result.requests
    attributes = out.body if target == "track-v1" else out.body["attributes"]
    assert attributes["created_at"] == created and attributes["anonymous_id"] == "a1"
    assert [(loss.pointer, loss.reason) for loss in result.losses] == lost


@pytest.mark.parametrize("cio_id", ["", " "])
def test_a_blank_cio_id_names_nobody_in_a_track_v1_path(cio_id: str) -> None:
    """``cio_`` alone is no person: the conversion is refused, never a DELETE of ``/api/v1/customers/cio_``."""
    delete = {"type": "person", "action": "delete", "identifiers": {"cio_id": cio_id}}
    relate = {
        "type": "object",
        "action": "add_relationships",
        "identifiers": {"object_type_id": "1", "object_id": "acme"},
        "cio_relationships": [{"identifiers": {"cio_id": cio_id}}],
    }
    for op in (delete, relate):
        with pytest.raises(UnsupportedConversionError, match="is blank"):
            convert(Request("POST", "/api/v2/entity", op), "track-v1")


@pytest.mark.parametrize(
    ("source", "target", "before", "after"),
    [
        (
            Request("POST", "/api/v1/push/events", {"delivery_id": "d1", "event": "opened", "device_id": "tok"}),
            "track-v2",
            "POST /api/v1/push/events",
            "POST /api/v1/metrics",
        ),
        (
            Request("POST", "/api/v1/push/events", {"delivery_id": "d1", "event": "opened", "device_id": "tok"}),
            "pipelines",
            "POST /api/v1/push/events",
            "POST /api/v1/metrics",
        ),
        (
            Request(
                "POST",
                "/api/v2/entity",
                {
                    "type": "person",
                    "action": "add_relationships",
                    "identifiers": {"id": "42"},
                    "cio_relationships": [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}],
                },
            ),
            "track-v1",
            "person/add_relationships",
            "person/identify",
        ),
        (
            Request(
                "POST", "/api/v2/batch", {"batch": [{"type": "person", "action": "delete", "identifiers": {"id": "1"}}]}
            ),
            "track-v1",
            "POST /api/v2/batch",
            "one request per item",
        ),
    ],
)
def test_what_comes_back_in_another_form_is_a_shape_change(
    source: Request, target: str, before: str, after: str
) -> None:
    result = convert(source, target)
    assert [(c.pointer, c.reason, c.before, c.after) for c in result.changes] == [("/body", "shape", before, after)]
    assert result.losses == ()


def test_an_empty_v2_attributes_object_is_reported_implied() -> None:
    op = {"type": "person", "action": "identify", "identifiers": {"id": "42"}, "attributes": {}}
    result = convert(Request("POST", "/api/v2/entity", op), "track-v1")
    assert [(c.pointer, c.reason) for c in result.changes] == [("/body/attributes", "implied")]
    assert result.requests[0].body == {}


def test_an_email_recipient_is_no_push_device_token() -> None:
    metric = {"delivery_id": "d1", "metric": "opened", "recipient": "user@example.com"}
    with pytest.raises(UnsupportedConversionError, match="is an email address"):
        convert(Request("POST", "/api/v1/metrics", metric), "track-v2")


def test_an_update_only_identify_and_a_relationship_removal_merge_back_into_one_request() -> None:
    """Removing a relationship does the same whether or not the person exists, so the two rejoin."""
    rel = {
        "action": "delete_relationships",
        "relationships": [{"identifiers": {"object_type_id": "1", "object_id": "a"}}],
    }
    source = Request("PUT", "/api/v1/customers/42", {"_update": True, "cio_relationships": rel})
    there = convert(source, "track-v2")
    back = [r for c in convert_many(list(there.requests), "track-v1") for r in c.requests]
    assert back == [source]


def test_convert_many_keeps_each_output_with_its_input_and_moves_only_merged_ones() -> None:
    """An identify and the /group of its relationship merge onto the group's input; an unrelated delete
    stays with its own."""
    calls = [
        Request("POST", "/v1/identify", {"userId": "u1", "traits": {"plan": "pro"}}),
        Request("POST", "/v1/group", {"userId": "u1", "groupId": "acme", "traits": {"object_type_id": "1"}}),
        Request("POST", "/v1/track", {"userId": "u2", "event": "User Deleted"}),
    ]
    results = convert_many(calls, "track-v1")
    assert [len(r.requests) for r in results] == [0, 1, 1]
    assert "cio_relationships" in results[1].requests[0].body and results[2].requests[0].method == "DELETE"


def test_an_email_device_token_is_refused_from_pipelines_and_noted_from_track_v2() -> None:
    """The same rule both ways into Track v2, and a warning on the way out of it."""
    props = {"deliveryId": "d1", "metric": "opened", "recipient": "user@example.com"}
    with pytest.raises(UnsupportedConversionError, match="is an email address"):
        convert(Request("POST", "/v1/track", {"event": "Report Delivery Event", "properties": props}), "track-v2")
    op = {
        "type": "delivery",
        "action": "event",
        "identifiers": {"id": "d1"},
        "name": "opened",
        "attributes": {"device_token": "user@example.com"},
    }
    for target in ("track-v1", "pipelines"):
        result = convert(Request("POST", "/api/v2/entity", op), target)
        assert any("will not convert back to a Track v2 delivery event" in n for n in result.notes)


@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
@pytest.mark.parametrize(
    ("path", "body", "changes"),
    [
        ("/v1/page", {"userId": "u1", "name": "https://x.com/p"}, [("/body/name", "moved")]),
        (
            "/v1/page",
            {"userId": "u1", "context": {"page": {"url": "https://x.com/p"}}},
            [("/body/context/page/url", "moved")],
        ),
        (
            "/v1/identify",
            {"anonymousId": "a1", "traits": {"email": "a@example.com"}},
            [("/body/traits/email", "moved")],
        ),
        ("/v1/track", {"type": "track", "userId": "u1", "event": "e"}, [("/body/type", "implied")]),
    ],
)
def test_what_names_the_person_or_the_page_coming_back_is_reported(
    path: str, body: dict[str, Any], changes: list[tuple[str, str]], target: str
) -> None:
    """Pipelines → Track: a page URL taken from the name or the context, an email trait that names the person,
    and a call's own ``type`` come back elsewhere (or not at all): each is a change, and nothing is lost."""
    result = convert(Request("POST", path, body), target)
    assert [(c.pointer, c.reason) for c in result.changes] == changes
    assert result.losses == ()
