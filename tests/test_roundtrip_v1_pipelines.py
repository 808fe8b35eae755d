"""Track v1 → Pipelines → Track v1 round trips, over generated valid v1 requests.

For identify (with attributes, timestamps, subscription preferences and
relationships), event / page / screen (identified and anonymous), device and
body-less person requests: converting to Pipelines and back with
``convert_many`` gives the identical request, as the same JSON value (JSON
types included), whenever the first step reported no losses (a value reported
``implied``, such as an explicit ``type: "event"``, comes back as the
default it is: absent); every output is valid; and no input (request or intermediate) is
modified.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from roundtrip import canonical, without_implied

from cio_schemas.catalog import SEMANTIC_EVENTS
from cio_schemas.converters import convert, convert_many
from cio_schemas.errors import UnsupportedConversionError
from cio_schemas.request import Request, build_path
from cio_schemas.validation import is_valid

# -- strategies ----------------------------------------------------------------------------
_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz_"
_RESERVED = {
    "id",
    "email",
    "anonymous_id",
    "created_at",
    "_timestamp",
    "_update",
    "unsubscribed",
    "cio_subscription_preferences",
    "cio_relationships",
    "createdAt",
}

keys = st.text(_KEY_ALPHABET, min_size=1, max_size=12).filter(lambda k: k not in _RESERVED)
short_text = st.text(max_size=20)
# A few values shaped like ISO timestamps, so that the reported (lossy) path is exercised too.
iso_like = st.sampled_from(["2024-01-01", "2024-01-01T00:00:00Z", "2013-02-18T16:35:08.722Z"])
scalar = st.one_of(
    short_text,
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    iso_like,
)
json_value = st.recursive(
    st.one_of(st.none(), scalar),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)),
    max_leaves=8,
)
# Unix seconds: mostly inside the ISO range, sometimes far outside it.
unix = st.one_of(st.integers(-62_135_596_800, 253_402_300_799), st.integers(10**13, 10**15))
identifier = st.one_of(
    st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "" and s not in (".", "..")),  # no dot-segment
    st.emails().filter(lambda e: len(e.encode()) <= 150),
    st.text("abcdef0123456789", min_size=1, max_size=12).map(lambda s: "cio_" + s),
)


def _path(template: str, **params: str) -> str:
    return build_path(template, **params)


@st.composite
def relationships(draw: st.DrawFn) -> dict[str, Any]:
    """A v1 ``cio_relationships`` object (add or delete, 0 to 3 relationships)."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 9)) == 0:
            ids: dict[str, str] = {"cio_object_id": draw(short_text)}
        else:
            ids = {"object_type_id": str(draw(st.integers(1, 60))), "object_id": draw(short_text)}
        item: dict[str, Any] = {"identifiers": ids}
        if draw(st.booleans()):
            item["relationship_attributes"] = draw(st.dictionaries(keys, json_value, max_size=3))
        items.append(item)
    return {"action": draw(st.sampled_from(["add_relationships", "delete_relationships"])), "relationships": items}


@st.composite
def identify_requests(draw: st.DrawFn) -> dict[str, Any]:
    """PUT /api/v1/customers/{identifier} with a generated body."""
    body: dict[str, Any] = draw(st.dictionaries(keys, scalar, max_size=5))
    optional: dict[str, st.SearchStrategy[Any]] = {
        "id": st.text(min_size=1, max_size=20),
        "email": st.emails(),
        "anonymous_id": short_text,
        "created_at": unix,
        "_timestamp": unix,
        "_update": st.booleans(),
        "unsubscribed": st.booleans(),
        "cio_subscription_preferences": st.fixed_dictionaries(
            {"topics": st.dictionaries(st.integers(1, 9).map(lambda n: f"topic_{n}"), st.booleans(), max_size=3)}
        ),
        "cio_relationships": relationships(),
    }
    for key, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0:
            body[key] = draw(strategy)
    return {"method": "PUT", "path": _path("/api/v1/customers/{identifier}", identifier=draw(identifier)), "body": body}


@st.composite
def event_requests(draw: st.DrawFn) -> dict[str, Any]:
    """An identified or anonymous event, page view or screen view."""
    kind = draw(st.sampled_from([None, "event", "page", "screen"]))
    body: dict[str, Any] = {"name": draw(st.text(max_size=30).filter(lambda s: len(s.encode()) <= 100))}
    if kind is not None:
        body["type"] = kind
    if draw(st.booleans()):
        data = draw(st.dictionaries(keys, json_value, max_size=4))
        if kind in (None, "event"):
            data.pop("recipient", None)
            data.pop("from_address", None)
            data.pop("reply_to", None)
        body["data"] = data
    if draw(st.booleans()):
        body["timestamp"] = draw(unix)
    if draw(st.booleans()):
        body["id"] = draw(short_text)
    anonymous = draw(st.booleans())
    if anonymous:
        # Without a (non-blank) anonymous_id an anonymous event has no Pipelines form (a case file covers it).
        body["anonymous_id"] = draw(short_text.filter(lambda s: s.strip() != ""))
    elif draw(st.booleans()):
        body["anonymous_id"] = draw(short_text)
    if anonymous:
        return {"method": "POST", "path": "/api/v1/events", "body": body}
    path = _path("/api/v1/customers/{identifier}/events", identifier=draw(identifier))
    return {"method": "POST", "path": path, "body": body}


@st.composite
def device_requests(draw: st.DrawFn) -> dict[str, Any]:
    """PUT /api/v1/customers/{identifier}/devices."""
    device: dict[str, Any] = {
        "id": draw(st.text(min_size=1, max_size=40)),
        "platform": draw(st.sampled_from(["ios", "android"])),
    }
    if draw(st.booleans()):
        device["last_used"] = draw(unix)
    if draw(st.booleans()):
        attributes = draw(st.dictionaries(keys, st.one_of(short_text, iso_like), max_size=3))
        if draw(st.booleans()):
            attributes["push_enabled"] = draw(st.sampled_from(["true", "false"]))
        if draw(st.integers(0, 4)) == 0:
            attributes["_last_status"] = draw(st.sampled_from(["", "bounced", "sent", "suppressed"]))
        device["attributes"] = attributes
    path = _path("/api/v1/customers/{identifier}/devices", identifier=draw(identifier))
    return {"method": "PUT", "path": path, "body": {"device": device}}


@st.composite
def bodiless_requests(draw: st.DrawFn) -> dict[str, Any]:
    """DELETE person, DELETE device, suppress and unsuppress (no body)."""
    who = draw(identifier)
    method, template = draw(
        st.sampled_from(
            [
                ("DELETE", "/api/v1/customers/{identifier}"),
                ("POST", "/api/v1/customers/{identifier}/suppress"),
                ("POST", "/api/v1/customers/{identifier}/unsuppress"),
                ("DELETE", "/api/v1/customers/{identifier}/devices/{device_id}"),
            ]
        )
    )
    params = {"identifier": who}
    if "{device_id}" in template:
        params["device_id"] = draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != ""))
    return {"method": method, "path": _path(template, **params)}


v1_requests = st.one_of(identify_requests(), event_requests(), device_requests(), bodiless_requests())


# -- properties ----------------------------------------------------------------------------
@given(v1_requests)
def test_v1_pipelines_v1_is_exact_without_losses(envelope: dict[str, Any]) -> None:
    """v1 → Pipelines → v1 gives the input back whenever the first step lost nothing; nothing is mutated."""
    request = Request.from_json(envelope)
    assume(is_valid(request))
    before = copy.deepcopy(envelope)
    try:
        there = convert(request, "pipelines")
    except UnsupportedConversionError:  # only a custom event named as a semantic event (Pipelines would act on it)
        assert (envelope.get("body") or {}).get("name") in SEMANTIC_EVENTS, envelope
        return
    assert envelope == before, "the input was modified"
    for out in there.requests:
        assert is_valid(out), out.to_json()
    intermediate = copy.deepcopy([r.to_json() for r in there.requests])
    back = convert_many(list(there.requests), "track-v1")
    assert [r.to_json() for r in there.requests] == intermediate, "the Pipelines requests were modified"
    assert envelope == before, "the input was modified"
    if there.losses:
        return
    assert canonical([r.to_json() for c in back for r in c.requests]) == canonical([without_implied(envelope, there)])
    assert [loss for c in back for loss in c.losses] == []


def test_relationship_key_option_is_used_and_read_back() -> None:
    """``relationship_key="relationshipAttributes"`` writes the OpenAPI key, and the way back reads it."""
    envelope = {
        "method": "PUT",
        "path": "/api/v1/customers/42",
        "body": {
            "cio_relationships": {
                "action": "add_relationships",
                "relationships": [
                    {
                        "identifiers": {"object_type_id": "1", "object_id": "acme"},
                        "relationship_attributes": {"role": "a"},
                    }
                ],
            }
        },
    }
    there = convert(Request.from_json(envelope), "pipelines", relationship_key="relationshipAttributes")
    assert [r.to_json() for r in there.requests] == [
        {
            "method": "POST",
            "path": "/v1/group",
            "body": {
                "userId": "42",
                "groupId": "acme",
                "traits": {"object_type_id": "1", "relationshipAttributes": {"role": "a"}},
            },
        }
    ]
    back = convert_many(list(there.requests), "track-v1")
    assert canonical([r.to_json() for c in back for r in c.requests]) == canonical([envelope])


def test_iso_strings_are_not_reported_when_conversion_is_off() -> None:
    """With ``convert_iso_attributes=False`` an ISO-shaped attribute string survives both ways."""
    envelope = {"method": "PUT", "path": "/api/v1/customers/42", "body": {"since": "2024-01-01T00:00:00Z"}}
    there = convert(Request.from_json(envelope), "pipelines", convert_iso_attributes=False)
    assert there.losses == ()
    back = convert_many(list(there.requests), "track-v1", convert_iso_attributes=False)
    assert canonical([r.to_json() for c in back for r in c.requests]) == canonical([envelope])


def test_coalescer_merges_only_same_person_and_same_action() -> None:
    """Relationship-only identifies merge into the previous identify of the same path with the same action."""
    from cio_schemas.converters import COALESCERS

    def put(path: str, body: dict[str, Any]) -> Request:
        return Request("PUT", path, body)

    def rel(action: str, object_id: str) -> dict[str, Any]:
        ids = {"object_type_id": "1", "object_id": object_id}
        return {"cio_relationships": {"action": action, "relationships": [{"identifiers": ids}]}}

    first = put("/api/v1/customers/42", {"plan": "pro"})
    adds = [put("/api/v1/customers/42", rel("add_relationships", o)) for o in ("a", "b")]
    other_person = put("/api/v1/customers/43", rel("add_relationships", "c"))
    delete = put("/api/v1/customers/43", rel("delete_relationships", "d"))
    inputs = [first, *adds, other_person, delete]
    snapshot = copy.deepcopy([r.to_json() for r in inputs])
    merged = COALESCERS["track-v1"](inputs)
    assert [r.to_json() for r in inputs] == snapshot
    assert [r.to_json()["body"] for r in merged] == [
        {
            "plan": "pro",
            "cio_relationships": {
                "action": "add_relationships",
                "relationships": [
                    {"identifiers": {"object_type_id": "1", "object_id": "a"}},
                    {"identifiers": {"object_type_id": "1", "object_id": "b"}},
                ],
            },
        },
        rel("add_relationships", "c"),
        rel("delete_relationships", "d"),
    ]
