"""Track v1 → Track v2 → Track v1 round trips, over generated valid v1 requests.

For identify (attributes, reserved keys, relationships added or removed),
events / page views / screen views, devices, delete / suppress / unsuppress,
merges and delivery metrics: converting to Track v2 and back with
``convert_many`` gives the identical request, as the same JSON value (JSON
types included), whenever the first step reported no losses (a value reported
``implied``, such as an explicit ``type: "event"``, comes back as the
default it is: absent); every output is valid; and no input (request or intermediate) is
modified. Requests Track v2 has no form for raise
:class:`~cio_schemas.errors.UnsupportedConversionError`, and only those.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from roundtrip import canonical, without_implied

from cio_schemas.converters import convert, convert_many
from cio_schemas.converters._common import classify
from cio_schemas.errors import UnsupportedConversionError
from cio_schemas.request import Request, build_path
from cio_schemas.validation import is_valid

# -- strategies ----------------------------------------------------------------------------
_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz_."
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
}

keys = st.text(_KEY_ALPHABET, min_size=1, max_size=12).filter(lambda k: k not in _RESERVED)
short_text = st.text(max_size=20)
scalar = st.one_of(
    short_text,
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
json_value = st.recursive(
    st.one_of(st.none(), scalar),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)),
    max_leaves=8,
)
unix = st.integers(-(2**40), 2**40)
# Not blank, and not a dot-segment ("." or ".."), which no path can carry.
person_id = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "" and s not in (".", ".."))
email = st.emails().filter(lambda e: len(e.encode()) <= 150)
cio_id = st.text("abcdef0123456789", max_size=12)
# A v1 path identifier: an id (any shape, including ones that look like emails or cio_ ids), an email, cio_<id>.
identifier = st.one_of(person_id, email, cio_id.map(lambda s: "cio_" + s))
reference = st.one_of(
    person_id.map(lambda v: {"id": v}), email.map(lambda v: {"email": v}), cio_id.map(lambda v: {"cio_id": v})
)
object_identifiers = st.one_of(
    st.fixed_dictionaries({"object_type_id": st.integers(1, 60).map(str), "object_id": short_text}),
    st.fixed_dictionaries({"cio_object_id": short_text}),
)


@st.composite
def relationships(draw: st.DrawFn) -> dict[str, Any]:
    """A v1 ``cio_relationships`` object (add or delete, 0 to 3 relationships)."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        item: dict[str, Any] = {"identifiers": draw(object_identifiers)}
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
        "email": email,
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
    path = build_path("/api/v1/customers/{identifier}", identifier=draw(identifier))
    return {"method": "PUT", "path": path, "body": body}


@st.composite
def event_requests(draw: st.DrawFn) -> dict[str, Any]:
    """An event, page view or screen view of an identified person."""
    kind = draw(st.sampled_from([None, "event", "page", "screen"]))
    body: dict[str, Any] = {"name": draw(st.text(max_size=30).filter(lambda s: len(s.encode()) <= 100))}
    if kind is not None:
        body["type"] = kind
    if draw(st.booleans()):
        data = draw(st.dictionaries(keys, json_value, max_size=4))
        if kind in (None, "event"):
            # v1 allows any recipient / reply_to string; v2 wants email addresses (a reported loss).
            for key in ("recipient", "reply_to", "from_address"):
                if draw(st.integers(0, 3)) == 0:
                    data[key] = draw(st.one_of(email, st.just("{{customer.email}}")))
            if "@" not in str(data.get("from_address", "@")):
                del data["from_address"]
        elif kind == "page" and draw(st.booleans()):
            data["title"] = draw(st.one_of(short_text, st.integers()))
            data["keywords"] = draw(st.lists(short_text, max_size=2))
        body["data"] = data
    if draw(st.booleans()):
        body["timestamp"] = draw(unix)
    if draw(st.booleans()):
        body["id"] = draw(short_text)
    if kind == "screen" and draw(st.integers(0, 3)) == 0:
        body["anonymous_id"] = draw(short_text)
    path = build_path("/api/v1/customers/{identifier}/events", identifier=draw(identifier))
    return {"method": "POST", "path": path, "body": body}


@st.composite
def device_requests(draw: st.DrawFn) -> dict[str, Any]:
    """PUT /api/v1/customers/{identifier}/devices, or DELETE of one device."""
    who = draw(identifier)
    if draw(st.booleans()):
        token = draw(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != ""))
        return {
            "method": "DELETE",
            "path": build_path("/api/v1/customers/{identifier}/devices/{device_id}", identifier=who, device_id=token),
        }
    device: dict[str, Any] = {
        "id": draw(st.text(min_size=1, max_size=40)),
        "platform": draw(st.sampled_from(["ios", "android"])),
    }
    if draw(st.booleans()):
        device["last_used"] = draw(unix)
    if draw(st.booleans()):
        attributes = draw(st.dictionaries(keys, short_text, max_size=3))
        if draw(st.booleans()):
            attributes["push_enabled"] = draw(st.sampled_from(["true", "false"]))
        device["attributes"] = attributes
    path = build_path("/api/v1/customers/{identifier}/devices", identifier=who)
    return {"method": "PUT", "path": path, "body": {"device": device}}


@st.composite
def person_requests(draw: st.DrawFn) -> dict[str, Any]:
    """DELETE person, suppress and unsuppress (no body)."""
    method, template = draw(
        st.sampled_from(
            [
                ("DELETE", "/api/v1/customers/{identifier}"),
                ("POST", "/api/v1/customers/{identifier}/suppress"),
                ("POST", "/api/v1/customers/{identifier}/unsuppress"),
            ]
        )
    )
    return {"method": method, "path": build_path(template, identifier=draw(identifier))}


@st.composite
def merge_requests(draw: st.DrawFn) -> dict[str, Any]:
    """POST /api/v1/merge_customers."""
    return {
        "method": "POST",
        "path": "/api/v1/merge_customers",
        "body": {"primary": draw(reference), "secondary": draw(reference)},
    }


@st.composite
def metric_requests(draw: st.DrawFn) -> dict[str, Any]:
    """POST /api/v1/metrics or the legacy POST /api/v1/push/events."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        metrics = ["bounced", "clicked", "converted", "deferred", "delivered", "dropped", "opened", "spammed"]
        body["delivery_id"] = draw(short_text)
        body["metric"] = draw(st.sampled_from(metrics))
        if draw(st.integers(0, 4)) > 0:
            body["recipient"] = draw(st.one_of(short_text, st.integers(0, 10**12)))
        for key in ("reason", "href"):
            if draw(st.integers(0, 3)) == 0:
                body[key] = draw(short_text)
        if draw(st.integers(0, 3)) == 0:
            body["timestamp"] = draw(unix)
        return {"method": "POST", "path": "/api/v1/metrics", "body": body}
    for key, strategy in (
        ("delivery_id", short_text),
        ("event", st.sampled_from(["opened", "converted", "delivered"])),
        ("device_id", short_text),
        ("timestamp", unix),
    ):
        if draw(st.integers(0, 5)) > (0 if key != "timestamp" else 3):
            body[key] = draw(strategy)
    return {"method": "POST", "path": "/api/v1/push/events", "body": body}


v1_requests = st.one_of(
    identify_requests(), event_requests(), device_requests(), person_requests(), merge_requests(), metric_requests()
)


# -- expectations --------------------------------------------------------------------------
def _v2_has_no_form(envelope: dict[str, Any]) -> bool:
    """True for the generated requests Track v2 cannot express (delivery metrics it does not record)."""
    body = envelope.get("body") or {}
    if envelope["path"] == "/api/v1/metrics":
        recipient = body.get("recipient")
        return (
            body["metric"] not in ("opened", "converted", "delivered")
            or not isinstance(recipient, str)
            or classify(recipient)[0] == "email"  # an email recipient is no push device token
        )
    if envelope["path"] == "/api/v1/push/events":
        if not all(isinstance(body.get(k), str) for k in ("delivery_id", "event", "device_id")):
            return True
        return classify(body["device_id"])[0] == "email"
    identifier = Request.from_json(envelope).params.get("identifier")
    # a cio_id that is blank names nobody
    return identifier is not None and identifier.startswith("cio_") and not identifier[4:].strip()


def _expected_back(envelope: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The Track v1 request lists a lossless round trip may give back (the input itself, in most cases)."""
    body = envelope.get("body") or {}
    if envelope["path"] == "/api/v1/push/events":
        # The legacy push route comes back as the metrics route it was superseded by.
        metric = {"delivery_id": body["delivery_id"], "metric": body["event"], "recipient": body["device_id"]}
        return [[{"method": "POST", "path": "/api/v1/metrics", "body": metric}]]
    return [[envelope]]


# -- properties ----------------------------------------------------------------------------
@given(v1_requests)
def test_v1_v2_v1_is_exact_without_losses(envelope: dict[str, Any]) -> None:
    """v1 → v2 → v1 gives the input back whenever the first step lost nothing; nothing is mutated."""
    request = Request.from_json(envelope)
    assume(is_valid(request))
    before = copy.deepcopy(envelope)
    try:
        there = convert(request, "track-v2")
    except UnsupportedConversionError:
        assert _v2_has_no_form(envelope), envelope
        assert envelope == before, "the input was modified"
        return
    assert not _v2_has_no_form(envelope), envelope
    assert envelope == before, "the input was modified"
    for out in there.requests:
        assert is_valid(out), out.to_json()
    intermediate = copy.deepcopy([r.to_json() for r in there.requests])
    back = convert_many(list(there.requests), "track-v1")
    assert [r.to_json() for r in there.requests] == intermediate, "the Track v2 requests were modified"
    assert envelope == before, "the input was modified"
    for conversion in back:
        for out in conversion.requests:
            assert is_valid(out), out.to_json()
    if there.losses:
        return
    got = canonical([r.to_json() for c in back for r in c.requests])
    assert got in [canonical(e) for e in _expected_back(without_implied(envelope, there))]
    assert [loss for c in back for loss in c.losses] == []


# -- examples ------------------------------------------------------------------------------
def test_identifier_kind_option_forces_the_kind() -> None:
    """``identifier_kind="id"`` keeps a ``cio_``-shaped path as an id, reported; so does the way back."""
    envelope = {"method": "DELETE", "path": "/api/v1/customers/cio_42"}
    there = convert(Request.from_json(envelope), "track-v2", identifier_kind="id")
    assert [r.to_json()["body"] for r in there.requests] == [
        {"type": "person", "action": "delete", "identifiers": {"id": "cio_42"}}
    ]
    # Track v1 read the path as cio_id 42: forcing another kind is reported, and strict mode refuses it.
    assert [(loss.pointer, loss.reason) for loss in there.losses] == [("/path", "identifier-kind")]
    back = convert(there.requests[0], "track-v1")
    assert canonical([r.to_json() for r in back.requests]) == canonical([envelope])
    assert [(loss.pointer, loss.reason) for loss in back.losses] == [("/body/identifiers/id", "identifier-kind")]


def test_relationship_only_identify_merges_into_previous_identify() -> None:
    """A v2 identify then add_relationships for the same person come back to Track v1 as one PUT."""
    items = [
        {
            "type": "person",
            "action": "identify",
            "identifiers": {"email": "a@example.com"},
            "attributes": {"plan": "pro"},
        },
        {
            "type": "person",
            "action": "add_relationships",
            "identifiers": {"email": "a@example.com"},
            "cio_relationships": [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}],
        },
    ]
    requests = [Request("POST", "/api/v2/entity", item) for item in items]
    snapshot = copy.deepcopy(items)
    back = convert_many(requests, "track-v1")
    assert items == snapshot
    assert [r.to_json() for c in back for r in c.requests] == [
        {
            "method": "PUT",
            "path": "/api/v1/customers/a%40example.com",
            "body": {
                "plan": "pro",
                "cio_relationships": {
                    "action": "add_relationships",
                    "relationships": [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}],
                },
            },
        }
    ]
