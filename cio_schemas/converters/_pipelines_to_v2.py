"""Pipelines API → Track API v2, and the Track v2 coalescer (``reference/catalogue.md`` §4.4).

Each Pipelines call becomes one Track v2 operation (``POST /api/v2/entity``):

- the person: ``userId`` → ``identifiers`` by its shape
  (:func:`._common.v2_identifiers`, option ``identifier_kind``: a ``cio_``
  prefix names a ``cio_id``, an email shape an ``email``, anything else an
  ``id``);
- ``identify`` → ``person/identify``: ``traits`` → ``attributes``,
  ``traits.createdAt`` → ``attributes.created_at`` and ``timestamp`` →
  ``timestamp`` in Unix seconds, ``anonymousId`` → ``attributes.anonymous_id``;
  without a ``userId`` the person is named by ``traits.email``;
- ``track`` (a custom event) → ``person/event`` (``event`` → ``name``,
  ``properties`` → ``attributes``, ``messageId`` → ``id``); ``page`` →
  ``person/page`` named by the page's URL (``properties.url``, else
  ``context.page.url``, else the page ``name``); ``screen`` → ``person/screen``;
- ``group`` → ``person/add_relationships`` when the call carries no object
  attributes, ``object/identify`` relating the person when it does,
  ``object/identify_anonymous`` for an ``anonymousId``, and a bare
  ``object/identify`` without a person;
- ``alias`` → ``person/merge`` (which deletes the secondary person);
- the semantic events → ``add_device``, ``delete_device``, ``delete``,
  ``suppress``, ``unsuppress``, ``delete_relationships``, ``object/delete`` and
  ``delivery/event``. ``Report Content Event`` has no Track v2 form.

ISO 8601 strings in traits and properties become Unix seconds (option
``convert_iso_attributes``, each reported as a change). Values Track v2 does
not accept (names over 150 bytes, values over 1000 bytes, more than 300
attributes, a non-email ``recipient`` …) are reported ``not-allowed``. What
has no home (``context``, ``integrations``, ``sentAt``, ``receivedAt``,
``originalTimestamp``, ``version``, a ``messageId`` outside events) is
reported by the framework.

:func:`coalesce` merges the operations one v2 operation was split into, so
that Track v2 → Pipelines → Track v2 gives back the original operation.
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
    OBJECT_ATTRIBUTES_BYTES,
)
from ..catalog import route_by_operation
from ..conversion import Context, Node
from ..registry import json_byte_length
from ..request import Request
from . import COALESCERS, Converter, register
from ._common import (
    blank_user_id,
    device_token,
    fit_id,
    is_type_id,
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
    v2_delivery_event,
    v2_identifiers,
    v2_request,
)

__all__ = ["coalesce"]

_ENTITY = route_by_operation("track-v2", "entity")


#: Track v2 event ``attributes`` that must be email addresses.
_EMAIL_KEYS = ("recipient", "from_address", "reply_to")

#: Track v2 page ``attributes`` that must be strings.
_PAGE_STRING_KEYS = ("path", "referrer", "search", "title")

#: Person attributes whose values have a schema of their own (no 1000-byte limit).
_STRUCTURED_ATTRIBUTES = ("cio_subscription_preferences",)


# -- helpers -------------------------------------------------------------------------------
def _identifiers(ctx: Context, node: Node, key: str, what: str) -> dict[str, str]:
    """Track v2 person ``identifiers`` for the Pipelines id ``node[key]`` (taken)."""
    value = node.take(key)
    ids = v2_identifiers(ctx, value, node.at(key))
    bare = next(iter(ids.values()))
    fit_id(ctx, bare, what)
    if not bare.strip():
        raise ctx.unsupported(f"the {what} is blank once its cio_ prefix is removed, and names nobody")
    return ids


def _person(ctx: Context, node: Node) -> dict[str, str]:
    """The ``identifiers`` of the person a call names by ``userId``; unsupported without one."""
    if not present(node.peek("userId")):
        raise ctx.unsupported(
            "Track v2 names the person by id, email or cio_id, and this call has no userId"
            + (" (Track v2 has no anonymous person operation)" if "anonymousId" in node else "")
        )
    ids = _identifiers(ctx, node, "userId", "userId")
    node.drop("anonymousId", "no-home", "a Track v2 person operation names the person by identifiers only")
    return ids


def _fit(
    ctx: Context,
    node: Node,
    values: Mapping[str, Any],
    *,
    used: int = 0,
    total: int | None = None,
    structured: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``values`` (converted from ``node``'s keys) within Track v2's attribute limits.

    Names over 150 bytes, values over 1000 bytes, keys beyond 300 (``used``
    counts keys already written) and, with ``total``, keys that take the
    whole object over that many bytes are reported ``not-allowed`` with the
    input value.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        problem = None
        if json_byte_length(key) > ATTRIBUTE_NAME_BYTES:
            problem = f"Track v2 attribute names are at most {ATTRIBUTE_NAME_BYTES} bytes"
        elif key not in structured and json_byte_length(value) > ATTRIBUTE_VALUE_BYTES:
            problem = f"Track v2 attribute values are at most {ATTRIBUTE_VALUE_BYTES} bytes"
        elif used + len(out) >= MAX_ATTRIBUTES:
            problem = f"Track v2 takes at most {MAX_ATTRIBUTES} attributes"
        if problem is not None:
            ctx.lose(node.at(key), node.data.get(key, value), "not-allowed", problem)
            continue
        out[key] = value
    if total is not None and json_byte_length(out) > total:
        for key in reversed(list(out)):
            ctx.lose(node.at(key), node.data.get(key), "too-large", f"Track v2 takes at most {total} bytes here")
            del out[key]
            if json_byte_length(out) <= total:
                break
    return out


def _object_attributes(ctx: Context, node: Node) -> dict[str, Any]:
    """The rest of ``node`` as Track v2 object (or relationship) attributes: ISO strings converted, limits kept."""
    return _fit(ctx, node, track_attributes(ctx, node.rest(), node.pointer), total=OBJECT_ATTRIBUTES_BYTES)


def _event_name(ctx: Context, name: Any, what: str) -> str:
    """``name`` as a Track v2 event name (unsupported when missing or over 100 bytes)."""
    if not isinstance(name, str):
        raise ctx.unsupported(f"Track v2 needs a name here, and this call has no {what}")
    if json_byte_length(name) > EVENT_NAME_BYTES:
        raise ctx.unsupported(
            f"the {what} is {json_byte_length(name)} bytes long; Track v2 names are at most {EVENT_NAME_BYTES} bytes"
        )
    return name


def _event_attributes(ctx: Context, props: Node, kind: str) -> dict[str, Any] | None:
    """``properties`` → v2 event ``attributes`` (ISO strings converted; values v2 rejects reported)."""
    kept: dict[str, Any] = {}
    if kind == "event":
        for key in _EMAIL_KEYS:
            value = props.peek(key)
            if key in props and not (isinstance(value, str) and "@" in value):
                props.drop(key, "not-allowed", f"Track v2 takes attributes.{key} as an email address")
            elif key in props:
                kept[key] = props.take(key)
    elif kind == "page":
        for key in _PAGE_STRING_KEYS:
            if key in props and not isinstance(props.peek(key), str):
                props.drop(key, "not-allowed", f"Track v2 takes page attributes.{key} as a string")
            elif key in props:
                kept[key] = props.take(key)
        if isinstance(props.peek("category"), str):  # a page property Pipelines types as a string: kept as one
            kept["category"] = props.take("category")
        keywords = props.peek("keywords")
        if "keywords" in props and not (isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)):
            props.drop("keywords", "not-allowed", "Track v2 takes page attributes.keywords as a list of strings")
    data = track_attributes(ctx, props.rest(), props.pointer)
    if kept:
        data.update(kept)
        data = {key: data[key] for key in props.data if key in data}  # input order
    if json_byte_length(data) > EVENT_DATA_BYTES:
        ctx.lose(props.pointer, props.data, "too-large", f"Track v2 event data is at most {EVENT_DATA_BYTES} bytes")
        return None
    return data


def _event_common(ctx: Context, node: Node, fields: dict[str, Any]) -> None:
    """``messageId`` → ``id`` and ``timestamp`` → Unix seconds into ``fields``."""
    if isinstance(node.peek("messageId"), str):
        fields["id"] = node.take("messageId")
    timestamp = take_track_time(ctx, node, "timestamp")
    if timestamp is not None:
        fields["timestamp"] = timestamp


# -- identify ------------------------------------------------------------------------------
@register("pipelines/identify", "track-v2")
def identify(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/identify`` → person/identify (by ``userId``, else by ``traits.email``)."""
    traits = node.node("traits")
    if present(node.peek("userId")):
        identifiers = _identifiers(ctx, node, "userId", "userId")
    elif traits is not None and present(traits.peek("email")):
        blank_user_id(node, "the person is named by the email trait")
        identifiers = {"email": fit_id(ctx, traits.take("email"), "email trait")}
        ctx.change(traits.at("email"), "traits.email", "userId", "moved")  # it names the person coming back
    else:
        raise ctx.unsupported(
            "Track v2 names the person by id, email or cio_id, and this identify has neither a userId nor "
            "traits.email (Track v2 has no anonymous person operation); identify the person once they have one"
        )
    fields: dict[str, Any] = {"identifiers": identifiers}
    attributes: dict[str, Any] = {}
    created = take_created_at(ctx, traits)
    if created is not None:
        attributes["created_at"] = created
    if isinstance(node.peek("anonymousId"), str):
        attributes["anonymous_id"] = node.take("anonymousId")
    timestamp = take_track_time(ctx, node, "timestamp")
    if traits is not None:
        for key in attributes:
            if key in traits and same_json(traits.peek(key), attributes[key]):
                traits.use(key)  # the same value twice loses nothing
            else:
                traits.drop(key, "conflict", f"attributes.{key} is already set from the call itself")
        traits.drop(
            "_update",
            "not-allowed",
            "Track v2 reserves attributes._update for its update-only flag; a trait cannot set it",
        )
        rest = traits.rest()
        converted = track_attributes(ctx, rest, traits.pointer)
        attributes.update(_fit(ctx, traits, converted, used=len(attributes), structured=_STRUCTURED_ATTRIBUTES))
    if traits is not None or attributes:
        fields["attributes"] = attributes
    if timestamp is not None:
        fields["timestamp"] = timestamp
    return [v2_request("person", "identify", **fields)]


# -- events --------------------------------------------------------------------------------
@register("pipelines/track_event", "track-v2")
def track_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """A custom ``/track`` event → person/event."""
    note_near_semantic(ctx, node.peek("event"))
    if not present(node.peek("userId")) and "anonymousId" not in node and "groupId" in node:
        raise ctx.unsupported("this event is attributed only to a group (groupId); Track v2 events belong to a person")
    identifiers = _person(ctx, node)
    node.drop("groupId", "no-home", "Track v2 cannot attribute an event to an object (group)")
    fields: dict[str, Any] = {"identifiers": identifiers, "name": _event_name(ctx, node.take("event"), "event name")}
    _event_common(ctx, node, fields)
    props = node.node("properties")
    if props is not None:
        data = _event_attributes(ctx, props, "event")
        if data is not None:
            fields["attributes"] = data
    return [v2_request("person", "event", **fields)]


@register("pipelines/page", "track-v2")
def page(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/page`` → person/page named by the page's URL (``properties.url``, ``context.page.url`` or ``name``)."""
    identifiers = _person(ctx, node)
    props = node.node("properties")
    url = page_url(ctx, node, props, "Track v2")
    fields: dict[str, Any] = {"identifiers": identifiers, "name": _event_name(ctx, url, "page URL")}
    _event_common(ctx, node, fields)
    if props is not None:
        data = _event_attributes(ctx, props, "page")
        if data:
            fields["attributes"] = data
    return [v2_request("person", "page", **fields)]


@register("pipelines/screen", "track-v2")
def screen(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/screen`` → person/screen."""
    identifiers = _person(ctx, node)
    fields: dict[str, Any] = {"identifiers": identifiers, "name": _event_name(ctx, node.take("name"), "screen name")}
    _event_common(ctx, node, fields)
    props = node.node("properties")
    if props is not None:
        data = _event_attributes(ctx, props, "screen")
        if data is not None:
            fields["attributes"] = data
    return [v2_request("person", "screen", **fields)]


# -- group and alias -----------------------------------------------------------------------
@register("pipelines/group", "track-v2")
def group(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/group`` → person/add_relationships, object/identify or object/identify_anonymous."""
    object_id = take_object_id(ctx, node)
    type_id = "1"
    relationship: dict[str, Any] | None = None
    object_attributes: dict[str, Any] = {}
    keys: list[str] = []
    traits = node.node("traits")
    if traits is not None:
        if "object_type_id" in traits:
            type_id = traits.take("object_type_id")
            traits.drop("objectTypeId", "conflict", "the object type is already given by object_type_id")
        elif is_type_id(traits.peek("objectTypeId")):
            type_id = str(take_id_text(ctx, traits, "objectTypeId"))
        order = [ctx.options.relationship_key]
        order += [k for k in ("relationship_traits", "relationshipAttributes") if k not in order]
        keys = [k for k in order if k in traits]
        if keys:
            first = traits.node(keys[0])
            if first is not None:
                relationship = _object_attributes(ctx, first)
            for other in keys[1:]:
                traits.drop(other, "conflict", f"the relationship attributes are already given by {keys[0]}")
        object_attributes = _object_attributes(ctx, traits)
    object_ids = {"object_type_id": type_id, "object_id": object_id}

    def item(person: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"identifiers": person}
        if relationship is not None:
            out["relationship_attributes"] = relationship
        return out

    if present(node.peek("userId")):
        person = _identifiers(ctx, node, "userId", "userId")
        node.drop("anonymousId", "no-home", "Track v2 relates the object to the identified person (userId)")
        if not object_attributes:
            rel = item(object_ids)
            return [v2_request("person", "add_relationships", identifiers=person, cio_relationships=[rel])]
        return [
            v2_request(
                "object",
                "identify",
                identifiers=object_ids,
                attributes=object_attributes,
                cio_relationships=[item(person)],
            )
        ]
    node.drop("userId", "ignored", "an empty userId names nobody")
    fields: dict[str, Any] = {"identifiers": object_ids}
    if object_attributes:
        fields["attributes"] = object_attributes
    if isinstance(node.peek("anonymousId"), str):
        anonymous = item({"anonymous_id": node.take("anonymousId")})
        return [v2_request("object", "identify_anonymous", **fields, cio_relationships=[anonymous])]
    if relationship is not None and traits is not None:
        ctx.lose(traits.at(keys[0]), traits.data[keys[0]], "no-home", "a relationship needs a person")
    return [v2_request("object", "identify", **fields)]


@register("pipelines/alias", "track-v2")
def alias(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``/alias`` → person/merge (``userId`` → primary, ``previousId`` → secondary)."""
    for key in ("userId", "previousId"):
        if not present(node.peek(key)):
            raise ctx.unsupported(f"Track v2 merges two named people, and this alias's {key} is blank")
    body = {
        "primary": _identifiers(ctx, node, "userId", "userId"),
        "secondary": _identifiers(ctx, node, "previousId", "previousId"),
    }
    ctx.note(
        "a Track v2 merge deletes the secondary person (previousId) after merging them into the primary "
        "(userId); it cannot be undone"
    )
    return [v2_request("person", "merge", **body)]


# -- semantic events -----------------------------------------------------------------------
def _semantic_person(ctx: Context, node: Node) -> dict[str, str]:
    """The person a semantic event names (``userId``); the event name is carried by the operation."""
    node.use("event")
    return _person(ctx, node)


@register("pipelines/semantic/device_created_or_updated", "track-v2")
def device_created_or_updated(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Device Created or Updated`` → person/add_device."""
    identifiers = _semantic_person(ctx, node)
    device = track_device(ctx, node, "Track v2", "token")
    return [v2_request("person", "add_device", identifiers=identifiers, device=device)]


@register("pipelines/semantic/device_deleted", "track-v2")
def device_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Device Deleted`` → person/delete_device."""
    identifiers = _semantic_person(ctx, node)
    token, _, _ = device_token(ctx, node, "Track v2")
    return [v2_request("person", "delete_device", identifiers=identifiers, device={"token": token})]


def _person_action(action: str, event: str) -> Converter:
    """A converter for the semantic ``event`` that becomes the v2 person ``action``."""

    def convert(node: Node, request: Request, ctx: Context) -> list[Request]:
        identifiers = _semantic_person(ctx, node)
        node.drop("properties", "no-home", f"Track v2 person/{action} carries no data")
        node.drop("timestamp", "no-home", f"Track v2 person/{action} has no timestamp")
        return [v2_request("person", action, identifiers=identifiers)]

    convert.__doc__ = f"``{event}`` → person/{action}."
    convert.__name__ = f"semantic_{action}"
    return convert


register("pipelines/semantic/user_deleted", "track-v2")(_person_action("delete", "User Deleted"))
register("pipelines/semantic/user_suppressed", "track-v2")(_person_action("suppress", "User Suppressed"))
register("pipelines/semantic/user_unsuppressed", "track-v2")(_person_action("unsuppress", "User Unsuppressed"))


def _object_of(ctx: Context, node: Node) -> dict[str, str]:
    """``{object_type_id, object_id}`` from ``properties.objectId`` / ``objectTypeId`` (default 1)."""
    props = node.node("properties")
    if props is None or not isinstance(props.peek("objectId"), str):
        raise ctx.unsupported("Track v2 names the object by its id, and this event has no properties.objectId")
    object_id = fit_id(ctx, props.take("objectId"), "objectId")
    if "objectTypeId" in props:
        type_id = str(take_id_text(ctx, props, "objectTypeId"))
    elif isinstance(props.peek("object_type_id"), str):
        type_id = props.take("object_type_id")
    else:
        type_id = "1"
    return {"object_type_id": type_id, "object_id": object_id}


@register("pipelines/semantic/relationship_deleted", "track-v2")
def relationship_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Relationship Deleted`` → person/delete_relationships."""
    identifiers = _semantic_person(ctx, node)
    relationship = {"identifiers": _object_of(ctx, node)}
    return [v2_request("person", "delete_relationships", identifiers=identifiers, cio_relationships=[relationship])]


@register("pipelines/semantic/object_deleted", "track-v2")
def object_deleted(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Object Deleted`` → object/delete (the person the event names is not needed)."""
    node.use("event")
    object_ids = _object_of(ctx, node)
    for key in ("userId", "anonymousId"):
        node.drop(key, "ignored", "Track v2 deletes an object without naming a person")
    return [v2_request("object", "delete", identifiers=object_ids)]


@register("pipelines/semantic/report_delivery_event", "track-v2")
def report_delivery_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Report Delivery Event`` → delivery/event (opened, converted, delivered, with a device token)."""
    node.use("event")
    props = node.node("properties")
    keys = ("deliveryId", "metric", "recipient")
    delivery_id, metric, token = (props.peek(k) if props is not None else None for k in keys)
    names = ("properties.deliveryId", "properties.metric", "properties.recipient")
    event = v2_delivery_event(ctx, delivery_id, metric, token, names)
    if props is not None:
        props.use(*keys)
    return [event]


@register("pipelines/semantic/report_content_event", "track-v2")
def report_content_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """``Report Content Event``: unsupported (Track v2 has no content impressions or clicks)."""
    raise ctx.unsupported(
        "content impressions and clicks of anonymous messages have no Track v2 operation; "
        "send Report Content Event to Pipelines"
    )


# -- coalescer -----------------------------------------------------------------------------
def _operation(request: Request) -> tuple[str, str] | None:
    """``(type, action)`` of a Track v2 entity request, None for anything else."""
    body = request.body
    if request.method != "POST" or request.path != _ENTITY.template or not isinstance(body, Mapping):
        return None
    kind, action = body.get("type"), body.get("action")
    if not isinstance(kind, str) or not isinstance(action, str):
        return None
    return kind, action


def _relationships(body: Mapping[str, Any]) -> list[Any] | None:
    rel = body.get("cio_relationships")
    return rel if isinstance(rel, list) else None


def _without_relationships(body: Mapping[str, Any]) -> dict[str, Any]:
    """Everything of an operation but its relationships."""
    return {k: v for k, v in body.items() if k != "cio_relationships"}


def _merge(earlier: Request, later: Request) -> Request | None:
    """The one request ``earlier`` + ``later`` stand for, or None when they do not merge."""
    first, second = _operation(earlier), _operation(later)
    if first is None or second is None:
        return None
    a, b = earlier.body, later.body
    if a.get("identifiers") != b.get("identifiers"):
        return None
    new = _relationships(b)
    if new is None:
        return None
    if second in (("person", "add_relationships"), ("person", "delete_relationships")):
        if set(b) != {"type", "action", "identifiers", "cio_relationships"}:
            return None
        if first == second:
            old = _relationships(a)
        elif first == ("person", "identify") and second == ("person", "add_relationships"):
            attrs = a.get("attributes")
            if isinstance(attrs, Mapping) and attrs.get("_update") is True:
                return None  # an update-only identify: keep the relationships unconditional
            old = _relationships(a) if "cio_relationships" in a else []
        else:
            return None
    elif first == second and second in (("object", "identify"), ("object", "identify_anonymous")):
        if not same_json(_without_relationships(a), _without_relationships(b)):  # attributes, timestamp … all the same
            return None
        old = _relationships(a)
    else:
        return None
    if old is None:
        return None
    return Request(earlier.method, earlier.path, {**a, "cio_relationships": [*old, *new]})


def coalesce(requests: list[Request], limit: int | None = None) -> list[Request]:
    """Merge adjacent Track v2 operations that one operation was split into.

    - a person/identify followed by person/add_relationships of the same
      person: the relationships join the identify's ``cio_relationships``;
    - adjacent person/add_relationships (or delete_relationships) of the same
      person: one operation with all the relationships;
    - adjacent object/identify (or identify_anonymous) of the same object with
      the same attributes, timestamp and every other field: one operation with
      all the related people.

    Two operations whose merge would be over ``limit`` bytes stay apart. A new
    list of new requests is returned; the inputs are not modified.
    """
    out: list[Request] = []
    for request in requests:
        merged = _merge(out[-1], request) if out else None
        if merged is not None and (limit is None or json_byte_length(merged.body) <= limit):
            out[-1] = merged
        else:
            out.append(request)
    return out


COALESCERS["track-v2"] = coalesce
