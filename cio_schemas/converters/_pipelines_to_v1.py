"""Pipelines API → Track API v1, and the Track v1 coalescer.

Each Pipelines call becomes one Track v1 request (``reference/catalogue.md``
§4.4):

- ``identify`` → ``PUT /api/v1/customers/{userId}`` with the traits as the body
  (an empty ``userId`` falls back to ``traits.email``); ``traits.createdAt`` →
  ``created_at`` and ``timestamp`` → ``_timestamp`` in Unix seconds;
  ``anonymousId`` → ``anonymous_id``; trait values Track v1 does not allow
  (arrays, objects, null, over-long values) are reported ``not-allowed``;
- ``track`` → ``POST /api/v1/customers/{userId}/events`` (or ``/api/v1/events``
  with ``anonymous_id`` when there is no ``userId``); ``page`` and ``screen`` →
  the same routes with ``type`` ``page`` / ``screen``, a page named by its URL;
- ``group`` → an identify adding one relationship (object attributes cannot be
  written through Track v1); ``alias`` → ``merge_customers``;
- semantic events → the device, delete, suppress, unsuppress and metrics
  routes, and ``Relationship Deleted`` → an identify deleting a relationship.

ISO 8601 strings inside traits and properties become Unix seconds (option
``convert_iso_attributes``), each reported as a change. What has no home
(``context``, ``integrations``, ``sentAt`` …) is reported by the framework.

:func:`coalesce` merges a relationship-only identify into the identify of the
same person just before it, so that Track v1 → Pipelines → Track v1 gives
back the original identify.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._field_limits import (
    ATTRIBUTE_NAME_BYTES,
    ATTRIBUTE_VALUE_BYTES,
    EVENT_DATA_BYTES,
    EVENT_NAME_BYTES,
    MAX_ATTRIBUTES,
)
from ..conversion import Context, Node
from ..registry import json_byte_length
from ..request import Request
from . import COALESCERS, UNSUPPORTED, register
from ._common import (
    ID_BYTES,
    blank_user_id,
    classify,
    device_token,
    fit_id,
    implied,
    is_type_id,
    is_whole_number,
    note_near_semantic,
    page_url,
    present,
    same_json,
    take_created_at,
    take_id_text,
    take_object_id,
    take_track_time,
    track_attributes,
    track_device,
    v1_path_identifier,
    v1_request,
)

__all__ = ["coalesce"]


# -- helpers -------------------------------------------------------------------------------
def _person(ctx: Context, node: Node) -> str:
    """The ``userId`` a semantic event names (taken), as a path identifier; unsupported when empty.

    The event name itself is carried by the choice of route, so it is marked used here.
    """
    node.use("event")
    user_id = node.take("userId")
    if not present(user_id):
        raise ctx.unsupported("Track v1 names the person in the path, and this event's userId is empty")
    return v1_path_identifier(ctx, user_id, node.at("userId"))


def _attribute_problem(key: str, value: Any) -> str | None:
    """Why Track v1 would reject ``key: value`` as an identify attribute (None when it accepts it)."""
    if json_byte_length(key) > ATTRIBUTE_NAME_BYTES:
        return f"Track v1 attribute names are at most {ATTRIBUTE_NAME_BYTES} bytes"
    if key == "id":
        if not isinstance(value, str) or json_byte_length(value) > ID_BYTES:
            return f"Track v1 takes id as a string of at most {ID_BYTES} bytes"
        return None
    if key == "email":
        if not isinstance(value, str) or "@" not in value or json_byte_length(value) > ATTRIBUTE_VALUE_BYTES:
            return "Track v1 takes email as an email address string"
        return None
    if key == "anonymous_id":
        if not isinstance(value, str) or json_byte_length(value) > ATTRIBUTE_VALUE_BYTES:
            return "Track v1 takes anonymous_id as a string"
        return None
    if key in ("created_at", "_timestamp"):
        return None if is_whole_number(value) else f"Track v1 takes {key} as Unix seconds (an integer)"
    if key in ("_update", "unsubscribed"):
        return None if isinstance(value, bool) else f"Track v1 takes {key} as a boolean"
    if key == "cio_subscription_preferences":
        return None if isinstance(value, Mapping) else "Track v1 takes cio_subscription_preferences as an object"
    if key == "cio_relationships":
        return "Track v1 reserves cio_relationships for relationships; send them as /group calls"
    if value is None:
        return "Track v1 attribute values cannot be null"
    if not isinstance(value, (str, int, float)):
        return f"Track v1 attribute values are strings, numbers or booleans, not {type(value).__name__}s"
    if json_byte_length(value) > ATTRIBUTE_VALUE_BYTES:
        return f"Track v1 attribute values are at most {ATTRIBUTE_VALUE_BYTES} bytes"
    return None


def _event_data(ctx: Context, node: Node, pointer: str, *, kind: str, anonymous: bool) -> dict[str, Any] | None:
    """``properties`` → Track v1 event ``data`` (ISO strings converted; disallowed reserved keys reported)."""
    data = track_attributes(ctx, node.rest(), pointer)
    rules: dict[str, str] = {}
    if kind == "event":
        rules = {"from_address": "email", "reply_to": "string"}
        if not anonymous:
            rules["recipient"] = "string"
    for key, rule in rules.items():
        if key in data:
            value = data[key]
            if not isinstance(value, str) or (rule == "email" and "@" not in value):
                node_value = node.data.get(key)
                ctx.lose(
                    node.at(key),
                    node_value,
                    "not-allowed",
                    f"Track v1 takes data.{key} as " + ("an email address" if rule == "email" else "a string"),
                )
                del data[key]
    if json_byte_length(data) > EVENT_DATA_BYTES:
        ctx.lose(node.pointer, node.data, "too-large", f"Track v1 event data is at most {EVENT_DATA_BYTES} bytes")
        return None
    return data


def _event_name(ctx: Context, name: Any, what: str) -> str:
    """``name`` as a Track v1 event name (unsupported when missing or over 100 bytes)."""
    if not isinstance(name, str):
        raise ctx.unsupported(f"Track v1 events need a name, and this call has no {what}")
    if json_byte_length(name) > EVENT_NAME_BYTES:
        raise ctx.unsupported(
            f"the {what} is {json_byte_length(name)} bytes long; Track v1 event names are at most "
            f"{EVENT_NAME_BYTES} bytes"
        )
    return name


def _event_request(node: Node, ctx: Context, body: dict[str, Any], *, kind: str) -> list[Request]:
    """Send ``body`` (name, type, data …) for the person the call names: by userId, else anonymousId."""
    user_id = node.peek("userId")
    anonymous_id = node.peek("anonymousId")
    timestamp = take_track_time(ctx, node, "timestamp")
    if timestamp is not None:
        body["timestamp"] = timestamp
    if isinstance(node.peek("messageId"), str):
        body["id"] = node.take("messageId")
    node.drop("groupId", "no-home", "Track v1 cannot attribute an event to an object (group)")
    if present(user_id):
        node.take("userId")
        if isinstance(anonymous_id, str):
            body["anonymous_id"] = node.take("anonymousId")
        return [v1_request(ctx, "track", body, identifier=v1_path_identifier(ctx, user_id, node.at("userId")))]
    blank_user_id(node, "the event goes to the anonymousId")
    if present(anonymous_id):
        body["anonymous_id"] = node.take("anonymousId")
        return [v1_request(ctx, "track_anonymous", body)]
    if kind == "event" and "groupId" in node.data:
        raise ctx.unsupported(
            "this event is attributed only to a group (groupId); Track v1 events belong to a person "
            "(a userId or an anonymousId)"
        )
    raise ctx.unsupported("Track v1 events belong to a person, and this call has no userId or anonymousId")


# -- identify ------------------------------------------------------------------------------
@register("pipelines/identify", "track-v1")
def identify(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/identify`` → PUT /api/v1/customers/{userId} (or ``traits.email`` when ``userId`` is empty)."""
    traits = node.node("traits")
    user_id = node.peek("userId")
    email: Any = traits.peek("email") if traits is not None else None
    if present(user_id):
        node.take("userId")
        identifier = v1_path_identifier(ctx, user_id, node.at("userId"))
    elif present(email) and traits is not None:
        blank_user_id(node, "the person is named by the email trait")
        identifier = fit_id(ctx, email, "email trait")
        ctx.change(traits.at("email"), "traits.email", "userId", "moved")  # it names the person coming back
    else:
        raise ctx.unsupported(
            "Track v1 names the person in the path (an id or an email), and this identify has neither a "
            "userId nor traits.email; identify the person once they have one"
        )
    body: dict[str, Any] = {}
    if traits is not None and not traits.data:
        implied(ctx, node, "traits")  # empty: a Track v1 identify without attributes, which reads back without any
        traits = None
    created = take_created_at(ctx, traits)
    if created is not None:
        body["created_at"] = created
    if isinstance(node.peek("anonymousId"), str):
        body["anonymous_id"] = node.take("anonymousId")
    timestamp = take_track_time(ctx, node, "timestamp")
    if timestamp is not None:
        body["_timestamp"] = timestamp
    if traits is not None:
        for key, what in (("_update", "its update-only flag"), ("_timestamp", "the time of the update")):
            traits.drop(key, "not-allowed", f"Track v1 reserves {key} for {what}; a trait cannot set it")
        rest = traits.rest()
        candidates: dict[str, Any] = {}
        for key, value in rest.items():
            if key in body:
                if not same_json(value, body[key]):  # the same value twice loses nothing
                    ctx.lose(traits.at(key), value, "conflict", f"{key} is already set from the call itself")
            elif (
                value is None
                or isinstance(value, list)
                or (isinstance(value, Mapping) and key != "cio_subscription_preferences")
            ):
                ctx.lose(traits.at(key), value, "not-allowed", _attribute_problem(key, value) or "")
            else:
                candidates[key] = value
        # ISO strings become Unix seconds only among the values that can be sent at all.
        converted = track_attributes(ctx, candidates, traits.pointer)
        for key, value in converted.items():
            problem = _attribute_problem(key, value)
            if problem is None and len(body) >= MAX_ATTRIBUTES:
                problem = f"Track v1 takes at most {MAX_ATTRIBUTES} attributes in one call"
            if problem is not None:
                ctx.lose(traits.at(key), rest[key], "not-allowed", problem)
                continue
            body[key] = value
    return [v1_request(ctx, "identify", body, identifier=identifier)]


# -- events --------------------------------------------------------------------------------
@register("pipelines/track_event", "track-v1")
def track_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """A custom ``/track`` event → POST customers/{userId}/events (or /api/v1/events by anonymousId)."""
    note_near_semantic(ctx, node.peek("event"))
    body: dict[str, Any] = {"name": _event_name(ctx, node.take("event"), "event name")}
    props = node.node("properties")
    anonymous = not present(node.peek("userId"))
    if props is not None:
        data = _event_data(ctx, props, props.pointer, kind="event", anonymous=anonymous)
        if data is not None:
            body["data"] = data
    return _event_request(node, ctx, body, kind="event")


@register("pipelines/page", "track-v1")
def page(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/page`` → a Track v1 page view named by its URL (``properties.url``, ``context.page.url``, or ``name``)."""
    props = node.node("properties")
    url = page_url(ctx, node, props, "Track v1")
    body: dict[str, Any] = {"name": _event_name(ctx, url, "page URL"), "type": "page"}
    if props is not None:
        data = _event_data(ctx, props, props.pointer, kind="page", anonymous=False)
        if data:
            body["data"] = data
    return _event_request(node, ctx, body, kind="page")


@register("pipelines/screen", "track-v1")
def screen(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/screen`` → a Track v1 screen view."""
    body: dict[str, Any] = {"name": _event_name(ctx, node.take("name"), "screen name"), "type": "screen"}
    props = node.node("properties")
    if props is not None:
        data = _event_data(ctx, props, props.pointer, kind="screen", anonymous=False)
        if data is not None:
            body["data"] = data
    return _event_request(node, ctx, body, kind="screen")


# -- group and alias -----------------------------------------------------------------------
@register("pipelines/group", "track-v1")
def group(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/group`` (by userId) → PUT customers/{userId} adding one relationship."""
    user_id = node.peek("userId")
    if not present(user_id):
        raise ctx.unsupported(
            "Track v1 relates objects only to an identified person (an identify with cio_relationships), "
            "and this group call has no userId"
        )
    node.take("userId")
    node.drop("anonymousId", "no-home", "a Track v1 relationship belongs to the person in the path")
    object_id = take_object_id(ctx, node)
    type_id = "1"
    attributes: Any = None
    traits = node.node("traits")
    if traits is not None:
        if "object_type_id" in traits:
            type_id = traits.take("object_type_id")
            traits.drop("objectTypeId", "conflict", "the object type is already given by object_type_id")
        elif is_type_id(traits.peek("objectTypeId")):
            type_id = str(take_id_text(ctx, traits, "objectTypeId"))
        keys = [k for k in ("relationship_traits", "relationshipAttributes") if k in traits]
        if keys:
            first = keys[0]
            if isinstance(traits.peek(first), Mapping):
                attributes = track_attributes(ctx, traits.take(first), traits.at(first))
            for other in keys[1:]:
                traits.drop(other, "conflict", f"the relationship attributes are already given by {first}")
        for key in list(traits.unused()):
            traits.drop(
                key,
                "no-home",
                "Track v1 cannot set object attributes (an identify only relates people to objects); "
                "send them with Track v2 or Pipelines",
            )
    relationship: dict[str, Any] = {"identifiers": {"object_type_id": type_id, "object_id": object_id}}
    if attributes is not None:
        relationship["relationship_attributes"] = attributes
    body = {"cio_relationships": {"action": "add_relationships", "relationships": [relationship]}}
    return [v1_request(ctx, "identify", body, identifier=v1_path_identifier(ctx, user_id, node.at("userId")))]


def _reference(ctx: Context, value: str, what: str) -> dict[str, str]:
    """A merge reference for a Pipelines id: ``{"id"|"email"|"cio_id": value}``, within Track's identifier limit."""
    kind, bare = classify(value, ctx.options.identifier_kind)
    return {kind: fit_id(ctx, bare, what)}


@register("pipelines/alias", "track-v1")
def alias(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/alias`` → POST /api/v1/merge_customers (userId → primary, previousId → secondary)."""
    body = {
        "primary": _reference(ctx, node.take("userId"), "userId"),
        "secondary": _reference(ctx, node.take("previousId"), "previousId"),
    }
    ctx.note(
        "a Track v1 merge deletes the secondary profile (previousId) after merging it into the primary "
        "(userId); it cannot be undone"
    )
    return [v1_request(ctx, "merge", body)]


# -- semantic events -----------------------------------------------------------------------
@register("pipelines/semantic/device_created_or_updated", "track-v1")
def device_created_or_updated(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Device Created or Updated`` → PUT customers/{userId}/devices."""
    user_id = _person(ctx, node)
    device = track_device(ctx, node, "Track v1", "id")
    return [v1_request(ctx, "add_device", {"device": device}, identifier=user_id)]


@register("pipelines/semantic/device_deleted", "track-v1")
def device_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Device Deleted`` → DELETE customers/{userId}/devices/{token}."""
    user_id = _person(ctx, node)
    token, _, _ = device_token(ctx, node, "Track v1", path=True)
    return [v1_request(ctx, "delete_device", identifier=user_id, device_id=token)]


@register("pipelines/semantic/user_deleted", "track-v1")
def user_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``User Deleted`` → DELETE customers/{userId}."""
    return [v1_request(ctx, "delete", identifier=_person(ctx, node))]


@register("pipelines/semantic/user_suppressed", "track-v1")
def user_suppressed(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``User Suppressed`` → POST customers/{userId}/suppress."""
    return [v1_request(ctx, "suppress", identifier=_person(ctx, node))]


@register("pipelines/semantic/user_unsuppressed", "track-v1")
def user_unsuppressed(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``User Unsuppressed`` → POST customers/{userId}/unsuppress."""
    return [v1_request(ctx, "unsuppress", identifier=_person(ctx, node))]


@register("pipelines/semantic/relationship_deleted", "track-v1")
def relationship_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Relationship Deleted`` → PUT customers/{userId} deleting one relationship."""
    user_id = _person(ctx, node)
    props = node.node("properties")
    if props is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the event has no properties.objectId")
    object_id = fit_id(ctx, props.take("objectId"), "objectId")
    type_id = str(take_id_text(ctx, props, "objectTypeId")) if "objectTypeId" in props else "1"
    relationship = {"identifiers": {"object_type_id": type_id, "object_id": object_id}}
    body = {"cio_relationships": {"action": "delete_relationships", "relationships": [relationship]}}
    return [v1_request(ctx, "identify", body, identifier=user_id)]


@register("pipelines/semantic/report_delivery_event", "track-v1")
def report_delivery_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Report Delivery Event`` → POST /api/v1/metrics."""
    node.use("event")
    props = node.node("properties")
    if props is None or not isinstance(props.peek("deliveryId"), str) or not isinstance(props.peek("metric"), str):
        raise ctx.unsupported("Track v1 metrics need properties.deliveryId and properties.metric")
    body: dict[str, Any] = {"delivery_id": props.take("deliveryId"), "metric": props.take("metric")}
    for key in ("recipient", "reason", "href"):
        if key in props:
            body[key] = props.take(key)
    timestamp = take_track_time(ctx, node, "timestamp")
    if timestamp is not None:
        body["timestamp"] = timestamp
    return [v1_request(ctx, "metrics", body)]


UNSUPPORTED[("pipelines/semantic/object_deleted", "track-v1")] = (
    "Track v1 cannot delete objects (it only relates people to objects through identify); "
    "send Object Deleted to Pipelines, or use Track v2's object delete"
)
UNSUPPORTED[("pipelines/semantic/report_content_event", "track-v1")] = (
    "content impressions and clicks of anonymous messages have no Track v1 endpoint; "
    "send Report Content Event to Pipelines"
)


# -- coalescer -----------------------------------------------------------------------------
def _relationships_of(body: Any) -> tuple[str, list[Any]] | None:
    """``(action, relationships)`` of a body's ``cio_relationships``, when it has the usual shape."""
    rel = body.get("cio_relationships") if isinstance(body, Mapping) else None
    if not isinstance(rel, Mapping):
        return None
    action, items = rel.get("action"), rel.get("relationships")
    if not isinstance(action, str) or not isinstance(items, list):
        return None
    return action, items


def _is_identify(request: Request) -> bool:
    try:
        route = request.route
    except LookupError:
        return False
    return route.api == "track-v1" and route.operation == "identify" and isinstance(request.body, Mapping)


def _mergeable(earlier: Request, later: Request) -> bool:
    if not (_is_identify(earlier) and _is_identify(later)) or earlier.path != later.path:
        return False
    if set(later.body) != {"cio_relationships"}:
        return False
    new = _relationships_of(later.body)
    if new is None:
        return False
    if "_update" in earlier.body and new[0] == "add_relationships":
        return False  # an update-only identify: keep the relationships unconditional (a removal is either way)
    if "cio_relationships" not in earlier.body:
        return True
    old = _relationships_of(earlier.body)
    return old is not None and old[0] == new[0]


def coalesce(requests: list[Request], limit: int | None = None) -> list[Request]:
    """Merge each relationship-only identify into the identify of the same person just before it.

    ``PUT /api/v1/customers/{id}`` followed by ``PUT`` of the same path whose
    body is only ``cio_relationships`` (with the same action as the first
    body's, if it has one) becomes one ``PUT`` carrying both, unless that one
    would be over ``limit`` bytes or over Track v1's 300 keys. A new list of new requests is returned; the
    inputs are not modified.
    """
    out: list[Request] = []
    for request in requests:
        if out and _mergeable(out[-1], request):
            earlier = out[-1]
            action, items = _relationships_of(request.body) or ("", [])
            old = _relationships_of(earlier.body)
            merged_rel = dict(earlier.body.get("cio_relationships") or {"action": action})
            merged_rel["relationships"] = [*(old[1] if old else []), *items]
            body = dict(earlier.body)
            body["cio_relationships"] = merged_rel
            if len(body) <= MAX_ATTRIBUTES and (limit is None or json_byte_length(body) <= limit):
                out[-1] = Request(earlier.method, earlier.path, body)
                continue
        out.append(request)
    return out


COALESCERS["track-v1"] = coalesce
