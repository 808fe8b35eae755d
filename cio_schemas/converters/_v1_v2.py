"""Track API v1 ↔ Track API v2, directly (``reference/catalogue.md`` §4.5, §4.1).

Both APIs write the same Customer.io data with the same value rules (Unix
seconds, the same attribute and event limits), so most fields carry over
unchanged; what differs is where the person is named and how operations are
told apart:

- the person: a v1 path ``{identifier}`` ↔ v2 ``identifiers``. A path is read
  by its shape (:func:`._common.classify`, option ``identifier_kind``): a
  ``cio_`` prefix names a ``cio_id`` (written bare in v2), an email shape an
  ``email``, anything else an ``id``. Going to v1, a v2 value whose shape reads
  back as another kind is reported (``identifier-kind``); v2 ``phone`` has no
  v1 form at all (a phone number in a v1 path is read as an id);
- identify: body attributes ↔ ``attributes``; ``_timestamp`` ↔ ``timestamp``;
  ``_update`` ↔ ``attributes._update``; ``cio_relationships`` adding ↔ the
  identify's ``cio_relationships`` array, removing ↔ a separate
  ``person/delete_relationships``. v2 attribute values v1 does not accept
  (arrays, objects, ``null``) are reported ``not-allowed``;
- events: the v1 ``type`` ↔ the v2 action (``event``, ``page``, ``screen``);
  ``data`` ↔ ``attributes``; ``name``, ``id`` and ``timestamp`` unchanged;
- devices: ``device.id`` (add) and the path ``device_id`` (delete) ↔
  ``device.token``;
- delivery metrics (``opened``, ``converted``, ``delivered`` for a device) ↔
  ``delivery/event``;
- v2 relationship operations on a person or an object become v1 identifies
  carrying only ``cio_relationships`` (one per person); the Track v1 coalescer
  merges such an identify into the identify of the same person just before it.

What has no counterpart raises :class:`~cio_schemas.errors.UnsupportedConversionError`:
anonymous events, forms, manual segments, ``/unsubscribe`` and the region
lookup going to v2; object attributes and object deletion going to v1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._field_limits import ID_BYTES, MAX_ATTRIBUTES
from ..conversion import Context, Node
from ..registry import json_byte_length
from ..request import Request
from . import UNSUPPORTED, Converter, register
from ._common import (
    KIND_WITH_ARTICLE,
    classify,
    implied,
    is_whole_number,
    note_email_device_token,
    read_back_as,
    v1_request,
    v2_delivery_event,
    v2_request,
)

__all__: list[str] = []


#: v1 plain-event ``data`` keys that Track v2 event ``attributes`` require to be email addresses.
_V2_EMAIL_KEYS = ("recipient", "from_address", "reply_to")

#: Track v2 page ``attributes`` keys that must be strings.
_V2_PAGE_STRING_KEYS = ("path", "referrer", "search", "title", "url")


# -- helpers -------------------------------------------------------------------------------
def _identifiers(request: Request, ctx: Context) -> dict[str, str]:
    """The v2 ``identifiers`` of the person in a v1 path (by its shape, or the ``identifier_kind`` option)."""
    value = request.params["identifier"]
    kind, bare = classify(value, ctx.options.identifier_kind)
    if not bare.strip():
        raise ctx.unsupported(
            f"the path identifier {value!r} is blank once its cio_ prefix is removed, and names nobody"
        )
    shape = classify(value)[0]
    if kind != shape:  # the option names someone other than the one Track v1 read from the path
        ctx.lose(
            "/path",
            value,
            "identifier-kind",
            f"identifier_kind is {kind!r}, but Track v1 read this path identifier as {KIND_WITH_ARTICLE[shape]} "
            "from its shape, so the output may name another person",
        )
    return {kind: bare}


def _path_identifier(ctx: Context, ids: Node | None, what: str = "person") -> str:
    """The v1 path identifier for v2 person ``identifiers`` (taken); ``cio_id`` gets its ``cio_`` prefix.

    A value whose shape reads back as another kind (an ``id`` shaped like an
    email, an ``email`` without ``@`` …) is reported as ``identifier-kind``; a
    ``phone``, a blank value or one over 150 bytes has no v1 path at all.
    """
    if ids is None:  # pragma: no cover - the schemas require identifiers
        raise ctx.unsupported(f"the {what} has no identifiers")
    for kind in ("id", "email", "cio_id"):
        if kind not in ids:
            continue
        value = ids.peek(kind)
        if not isinstance(value, str) or not value.strip():  # before the cio_ prefix, which is not a name
            raise ctx.unsupported(f"Track v1 names the {what} in the path, and this {kind} is blank")
        path_value = "cio_" + value if kind == "cio_id" else value
        if json_byte_length(path_value) > ID_BYTES:
            raise ctx.unsupported(
                f"the {what}'s path identifier would be {json_byte_length(path_value)} bytes long; "
                f"Track v1 identifiers are at most {ID_BYTES} bytes"
            )
        ids.take(kind)
        read = classify(path_value)[0]
        if read != kind:
            ctx.lose(
                ids.at(kind),
                value,
                "identifier-kind",
                f"Track v1 tells identifiers apart by their shape, and this {kind} reads as {KIND_WITH_ARTICLE[read]}",
            )
        return path_value
    if "phone" in ids:
        raise ctx.unsupported(
            "Track v1 has no phone identifier (a phone number in the path is read as an id); "
            "identify the person by id, email or cio_id and send the phone number as an attribute"
        )
    raise ctx.unsupported(f"the {what} has no id, email or cio_id")  # pragma: no cover - schema-invalid


def _reference(node: Node, key: str) -> dict[str, Any]:
    """A ``primary``/``secondary`` person reference, carried as it is (a new dict)."""
    ref = node.take(key)
    return dict(ref) if isinstance(ref, Mapping) else ref


def _relationship_items(items: Any) -> list[Any]:
    """A relationships list, carried as it is (a new list of new dicts)."""
    if not isinstance(items, list):  # pragma: no cover - the schemas require an array
        return []
    return [dict(item) if isinstance(item, Mapping) else item for item in items]


# == Track v1 → Track v2 ===================================================================
@register("track_v1/identify", "track-v2")
def identify_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """PUT customers/{identifier} → person/identify (+ person/delete_relationships when removing)."""
    ids = _identifiers(request, ctx)
    fields: dict[str, Any] = {"identifiers": ids}
    timestamp_given = "_timestamp" in node
    timestamp = node.take("_timestamp")
    rel = node.node("cio_relationships")
    attributes = node.rest()
    if attributes:
        fields["attributes"] = attributes
    if timestamp_given:
        fields["timestamp"] = timestamp
    out: list[Request] = []
    if rel is None:
        return [v2_request("person", "identify", **fields)]
    action = rel.take("action")
    items = _relationship_items(rel.take("relationships"))
    if action == "add_relationships":
        fields["cio_relationships"] = items
        return [v2_request("person", "identify", **fields)]
    if len(fields) > 1:
        out.append(v2_request("person", "identify", **fields))
    out.append(v2_request("person", "delete_relationships", identifiers=dict(ids), cio_relationships=items))
    return out


def _person_v2(action: str) -> Converter:
    """A converter for a body-less v1 person route → the v2 person ``action``."""

    def convert(node: Node, request: Request, ctx: Context) -> list[Request]:
        return [v2_request("person", action, identifiers=_identifiers(request, ctx))]

    convert.__doc__ = f"v1 {action} → person/{action}."
    return convert


register("track_v1/delete", "track-v2")(_person_v2("delete"))
register("track_v1/suppress", "track-v2")(_person_v2("suppress"))
register("track_v1/unsuppress", "track-v2")(_person_v2("unsuppress"))


@register("track_v1/add_device", "track-v2")
def add_device_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """PUT customers/{identifier}/devices → person/add_device (``device.id`` → ``device.token``)."""
    device = node.node("device")
    if device is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the body has no device")
    out: dict[str, Any] = {"token": device.take("id")}
    out.update(device.rest())
    return [v2_request("person", "add_device", identifiers=_identifiers(request, ctx), device=out)]


@register("track_v1/delete_device", "track-v2")
def delete_device_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """DELETE customers/{identifier}/devices/{device_id} → person/delete_device."""
    token = request.params["device_id"]
    return [v2_request("person", "delete_device", identifiers=_identifiers(request, ctx), device={"token": token})]


def _event_attributes(ctx: Context, data: Node, kind: str) -> dict[str, Any]:
    """v1 event ``data`` → v2 ``attributes``, reporting the values v2's stricter rules reject."""
    if kind == "event":
        for key in _V2_EMAIL_KEYS:
            value = data.peek(key)
            if key in data and not (isinstance(value, str) and "@" in value):
                data.drop(key, "not-allowed", f"Track v2 takes attributes.{key} as an email address")
    elif kind == "page":
        for key in _V2_PAGE_STRING_KEYS:
            if key in data and not isinstance(data.peek(key), str):
                data.drop(key, "not-allowed", f"Track v2 takes page attributes.{key} as a string")
        keywords = data.peek("keywords")
        if "keywords" in data and not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
            data.drop("keywords", "not-allowed", "Track v2 takes page attributes.keywords as a list of strings")
    return data.rest()


@register("track_v1/track", "track-v2")
def track_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST customers/{identifier}/events → person/event, person/page or person/screen (by ``type``)."""
    kind = node.peek("type", "event")
    if kind == "event":
        implied(ctx, node, "type")  # the action says it; Track v1 leaves the default out
    else:
        node.use("type")
    if kind == "screen":
        node.drop("anonymous_id", "no-home", "Track v2 screen views carry no anonymous_id")
    fields: dict[str, Any] = {"identifiers": _identifiers(request, ctx), "name": node.take("name")}
    for key in ("id", "timestamp"):
        if key in node:
            fields[key] = node.take(key)
    data = node.node("data")
    if data is not None:
        fields["attributes"] = _event_attributes(ctx, data, kind)
    return [v2_request("person", kind, **fields)]


@register("track_v1/merge", "track-v2")
def merge_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST merge_customers → person/merge (the same ``primary``/``secondary`` shapes)."""
    ctx.note("a merge deletes the secondary person after merging them into the primary; it cannot be undone")
    return [v2_request("person", "merge", primary=_reference(node, "primary"), secondary=_reference(node, "secondary"))]


def _delivery_to_v2(ctx: Context, node: Node, metric_key: str, recipient_key: str) -> list[Request]:
    """A v1 delivery metric → delivery/event (unsupported when v2 cannot record it)."""
    keys = ("delivery_id", metric_key, recipient_key)
    event = v2_delivery_event(ctx, node.peek(keys[0]), node.peek(keys[1]), node.peek(keys[2]), keys)
    node.use(*keys)
    for key in ("timestamp", "reason", "href"):
        node.drop(key, "no-home", f"Track v2 delivery events have no {key}")
    return [event]


@register("track_v1/metrics", "track-v2")
def metrics_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST /api/v1/metrics (opened, converted, delivered for a device) → delivery/event."""
    return _delivery_to_v2(ctx, node, "metric", "recipient")


@register("track_v1/push_metrics", "track-v2")
def push_metrics_to_v2(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST /api/v1/push/events → delivery/event (``device_id`` → ``attributes.device_token``)."""
    out = _delivery_to_v2(ctx, node, "event", "device_id")
    read_back_as(ctx, node, "POST /api/v1/push/events", "POST /api/v1/metrics")
    ctx.note(
        "POST /api/v1/push/events is the legacy form of POST /api/v1/metrics: "
        "a Track v2 delivery event converted back to Track v1 becomes a POST /api/v1/metrics"
    )
    return out


UNSUPPORTED[("track_v1/track_anonymous", "track-v2")] = (
    "Track v2 has no anonymous person event; send it to Track v1 POST /api/v1/events, "
    "or as a person event once the person is identified"
)
UNSUPPORTED[("track_v1/get_region", "track-v2")] = (
    "looking up the account's region sends no data, so there is nothing to convert; "
    "Track v2 calls go to the same regional host (track.customer.io or track-eu.customer.io)"
)
UNSUPPORTED[("track_v1/unsubscribe", "track-v2")] = (
    "an unsubscribe attributed to a delivery has no Track v2 operation (delivery events record only "
    "opened, converted and delivered); if you know the person, send a person identify with the "
    "attribute unsubscribed = true (the delivery attribution is then lost)"
)
UNSUPPORTED[("track_v1/submit_form", "track-v2")] = (
    "form submissions exist only in Track v1; to record the person, send a Track v2 person identify "
    "with the form fields as attributes instead"
)
UNSUPPORTED[("track_v1/add_to_segment", "track-v2")] = (
    "manual segment membership exists only in Track v1; keep using "
    "POST /api/v1/segments/{segment_id}/add_customers, or a data-driven segment on an attribute"
)
UNSUPPORTED[("track_v1/remove_from_segment", "track-v2")] = (
    "manual segment membership exists only in Track v1; keep using "
    "POST /api/v1/segments/{segment_id}/remove_customers, or a data-driven segment on an attribute"
)


# == Track v2 → Track v1 ===================================================================
def _attribute_problem(key: str, value: Any) -> str | None:
    """Why a Track v1 identify would reject attribute ``key: value`` (None when it accepts it)."""
    if key == "id":
        if not isinstance(value, str) or json_byte_length(value) > ID_BYTES:
            return f"Track v1 takes id as a string of at most {ID_BYTES} bytes"
        return None
    if key == "email":
        return None if isinstance(value, str) and "@" in value else "Track v1 takes email as an email address"
    if key == "anonymous_id":
        return None if isinstance(value, str) else "Track v1 takes anonymous_id as a string"
    if key == "created_at":
        return None if is_whole_number(value) else "Track v1 takes created_at as Unix seconds (an integer)"
    if key == "_timestamp":
        return "Track v1 reserves _timestamp for the time of the update (Track v2's timestamp)"
    if key == "cio_relationships":
        return "Track v1 reserves cio_relationships for relationships (Track v2's cio_relationships)"
    if key in ("_update", "unsubscribed"):
        return None if isinstance(value, bool) else f"Track v1 takes {key} as a boolean"
    if key == "cio_subscription_preferences":
        return None if isinstance(value, Mapping) else "Track v1 takes cio_subscription_preferences as an object"
    if value is None:
        return "Track v1 attribute values cannot be null"
    if isinstance(value, (list, Mapping)):
        kind = "arrays" if isinstance(value, list) else "objects"
        return f"Track v1 attribute values are strings, numbers or booleans, not {kind}"
    return None


@register("track_v2/person/identify", "track-v1")
def identify_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/identify → PUT customers/{identifier} (its relationships as ``cio_relationships`` adding)."""
    identifier = _path_identifier(ctx, node.node("identifiers"))
    body: dict[str, Any] = {}
    room = MAX_ATTRIBUTES - sum(1 for key in ("timestamp", "cio_relationships") if key in node)
    attributes = node.node("attributes")
    if attributes is not None and not attributes.data:
        implied(ctx, node, "attributes")  # empty: a v1 identify without attributes, which reads back without any
    elif attributes is not None:
        for key, value in attributes.data.items():
            problem = _attribute_problem(key, value)
            if problem is None and len(body) >= room:
                problem = f"Track v1 takes at most {MAX_ATTRIBUTES} keys in one identify"
            if problem is not None:
                attributes.drop(key, "not-allowed", problem)
            else:
                body[key] = attributes.take(key)
    if "timestamp" in node:
        body["_timestamp"] = node.take("timestamp")
    if "cio_relationships" in node:
        items = _relationship_items(node.take("cio_relationships"))
        body["cio_relationships"] = {"action": "add_relationships", "relationships": items}
    return [v1_request(ctx, "identify", body, identifier=identifier)]


def _relationships_only(ctx: Context, node: Node, action: str) -> list[Request]:
    """person/add_relationships or person/delete_relationships → an identify carrying only ``cio_relationships``."""
    identifier = _path_identifier(ctx, node.node("identifiers"))
    items = _relationship_items(node.take("cio_relationships"))
    body = {"cio_relationships": {"action": action, "relationships": items}}
    return [v1_request(ctx, "identify", body, identifier=identifier)]


@register("track_v2/person/add_relationships", "track-v1")
def add_relationships_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/add_relationships → PUT customers/{identifier} with ``cio_relationships`` adding."""
    out = _relationships_only(ctx, node, "add_relationships")
    read_back_as(ctx, node, "person/add_relationships", "person/identify")  # an identify is how v1 adds them
    return out


@register("track_v2/person/delete_relationships", "track-v1")
def delete_relationships_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/delete_relationships → PUT customers/{identifier} with ``cio_relationships`` removing."""
    return _relationships_only(ctx, node, "delete_relationships")


def _person_v1(operation: str) -> Converter:
    """A converter for a v2 person action without data → the body-less v1 ``operation``."""

    def convert(node: Node, request: Request, ctx: Context) -> list[Request]:
        return [v1_request(ctx, operation, identifier=_path_identifier(ctx, node.node("identifiers")))]

    convert.__doc__ = f"person/{operation} → the v1 {operation} route."
    return convert


register("track_v2/person/delete", "track-v1")(_person_v1("delete"))
register("track_v2/person/suppress", "track-v1")(_person_v1("suppress"))
register("track_v2/person/unsuppress", "track-v1")(_person_v1("unsuppress"))


@register("track_v2/person/add_device", "track-v1")
def add_device_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/add_device → PUT customers/{identifier}/devices (``device.token`` → ``device.id``)."""
    identifier = _path_identifier(ctx, node.node("identifiers"))
    device = node.node("device")
    if device is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the body has no device")
    out: dict[str, Any] = {"id": device.take("token")}
    out.update(device.rest())
    return [v1_request(ctx, "add_device", {"device": out}, identifier=identifier)]


@register("track_v2/person/delete_device", "track-v1")
def delete_device_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/delete_device → DELETE customers/{identifier}/devices/{token}."""
    identifier = _path_identifier(ctx, node.node("identifiers"))
    device = node.node("device")
    token = device.peek("token") if device is not None else None
    if device is None or not isinstance(token, str) or not token.strip():
        raise ctx.unsupported("Track v1 names the device in the path, and this device token is blank")
    return [v1_request(ctx, "delete_device", identifier=identifier, device_id=device.take("token"))]


def _event_v1(kind: str) -> Converter:
    """A converter for person/event, person/page or person/screen → POST customers/{identifier}/events."""

    def convert(node: Node, request: Request, ctx: Context) -> list[Request]:
        identifier = _path_identifier(ctx, node.node("identifiers"))
        body: dict[str, Any] = {"name": node.take("name")}
        if kind != "event":
            body["type"] = kind
        for key in ("id", "timestamp"):
            if key in node:
                body[key] = node.take(key)
        attributes = node.node("attributes")
        if attributes is not None:
            body["data"] = attributes.rest()
        return [v1_request(ctx, "track", body, identifier=identifier)]

    convert.__doc__ = f"person/{kind} → POST customers/{{identifier}}/events" + (
        "." if kind == "event" else f" with type {kind}."
    )
    return convert


register("track_v2/person/event", "track-v1")(_event_v1("event"))
register("track_v2/person/page", "track-v1")(_event_v1("page"))
register("track_v2/person/screen", "track-v1")(_event_v1("screen"))


@register("track_v2/person/merge", "track-v1")
def merge_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/merge → POST merge_customers (the same ``primary``/``secondary`` shapes)."""
    ctx.note("a merge deletes the secondary person after merging them into the primary; it cannot be undone")
    return [
        v1_request(ctx, "merge", {"primary": _reference(node, "primary"), "secondary": _reference(node, "secondary")})
    ]


@register("track_v2/delivery/event", "track-v1")
def delivery_event_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """delivery/event → POST /api/v1/metrics (``attributes.device_token`` → ``recipient``)."""
    ids = node.node("identifiers")
    attributes = node.node("attributes")
    if ids is None or attributes is None:  # pragma: no cover - the schema requires both
        raise ctx.unsupported("the delivery event has no identifiers or attributes")
    body = {
        "delivery_id": ids.take("id"),
        "metric": node.take("name"),
        "recipient": attributes.take("device_token"),
    }
    note_email_device_token(ctx, body["recipient"])
    return [v1_request(ctx, "metrics", body)]


def _object_relationships(ctx: Context, node: Node, action: str, operation: str) -> list[Request]:
    """An object operation relating people → one v1 identify per person (``action``: add or delete).

    Track v2 reads each of them back as the person's operation (an identify
    carrying the relationships, or person/delete_relationships), so the
    operation is reported as a change of reason ``shape``.
    """
    object_ids = node.take("identifiers")
    items = node.take("cio_relationships")
    if not isinstance(items, list) or not items:
        raise ctx.unsupported(
            "Track v1 relates an object to people through each person's identify, and this call names no person"
        )
    base = node.at("cio_relationships")
    out: list[Request] = []
    for index, item in enumerate(items):
        one = ctx.root(item, f"{base}/{index}")
        identifier = _path_identifier(ctx, one.node("identifiers"), f"person at cio_relationships/{index}")
        relationship: dict[str, Any] = {"identifiers": dict(object_ids)}
        if "relationship_attributes" in one:
            relationship["relationship_attributes"] = one.take("relationship_attributes")
        body = {"cio_relationships": {"action": action, "relationships": [relationship]}}
        out.append(v1_request(ctx, "identify", body, identifier=identifier))
    read_back_as(ctx, node, operation, "person/identify" if action == "add_relationships" else f"person/{action}")
    return out


@register("track_v2/object/add_relationships", "track-v1")
def object_add_relationships_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/add_relationships → one PUT customers/{identifier} per person, adding the relationship."""
    return _object_relationships(ctx, node, "add_relationships", "object/add_relationships")


@register("track_v2/object/delete_relationships", "track-v1")
def object_delete_relationships_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/delete_relationships → one PUT customers/{identifier} per person, removing the relationship."""
    return _object_relationships(ctx, node, "delete_relationships", "object/delete_relationships")


@register("track_v2/object/identify", "track-v1")
def object_identify_to_v1(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/identify → one PUT customers/{identifier} per related person; unsupported with object attributes.

    Track v1 cannot set object attributes; an identify without them says no
    more than object/add_relationships.
    """
    if node.peek("attributes"):
        raise ctx.unsupported(_NO_OBJECT_ATTRIBUTES)
    if not node.peek("cio_relationships"):
        raise ctx.unsupported(
            "Track v1 cannot create an object on its own: it relates people to objects through each person's "
            "identify, and this object identify names no person"
        )
    node.use("attributes")  # absent or empty: nothing to carry
    return _object_relationships(ctx, node, "add_relationships", "object/identify")


_NO_OBJECT_ATTRIBUTES = (
    "Track v1 cannot set object attributes: it only relates people to objects through a person's "
    "identify (cio_relationships). Send object attributes with Track v2 or a Pipelines /group call"
)
UNSUPPORTED[("track_v2/object/identify_anonymous", "track-v1")] = (
    _NO_OBJECT_ATTRIBUTES + "; Track v1 relationships also need an identified person, not an anonymous_id"
)
UNSUPPORTED[("track_v2/object/delete", "track-v1")] = (
    "Track v1 cannot delete objects; use Track v2's object delete or a Pipelines Object Deleted event"
)
