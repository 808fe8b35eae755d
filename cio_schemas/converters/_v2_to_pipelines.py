"""Track API v2 → Pipelines API (``reference/catalogue.md`` §4.3).

Every v2 operation becomes one or more Pipelines calls:

- the person: ``identifiers`` → ``userId`` (:func:`._common.user_id_from_v2`:
  a ``cio_id`` is written ``cio_<value>``; an ``id`` shaped like an email is
  reported ``identifier-kind``); a person named only by ``phone`` has no
  Pipelines identifier;
- ``person/identify`` → ``/identify`` (``attributes`` → ``traits``,
  ``attributes.anonymous_id`` → ``anonymousId``, ``attributes.created_at`` →
  ``traits.createdAt`` and ``timestamp`` → ``timestamp`` as ISO 8601;
  ``attributes._update`` has no home), followed by one ``/group`` per
  ``cio_relationships`` item;
- ``person/event``, ``page`` and ``screen`` → ``/track``, ``/page`` (the page
  ``name``, its URL, → ``properties.url``) and ``/screen``; ``attributes`` →
  ``properties``, ``id`` → ``messageId``;
- relationships → one ``/group`` per added relationship, one ``Relationship
  Deleted`` event per removed one; devices, delete, suppress and unsuppress →
  Customer.io semantic events; ``person/merge`` → ``/alias``;
- ``object/identify`` → one ``/group`` per related person (``groupId`` = the
  object id, ``traits`` = the object attributes, ``object_type_id`` and the
  relationship attributes); with no related person, one ``/group`` without a
  person; ``object/identify_anonymous`` → the same with ``anonymousId``;
- ``delivery/event`` → ``Report Delivery Event``.

``cio_object_id`` has no Pipelines home anywhere (Pipelines names a group by
its object id). ``object/delete`` is unsupported: Pipelines' ``Object Deleted``
event must name a person (``userId`` or ``anonymousId``) and a v2 object
delete has none. A single ``/group`` call needs only ``groupId`` (a batch item
also needs a person, so the batch packer sends such a call on its own); while
the shipped group schema still asks for a person, an object operation that
relates nobody is refused instead of producing a request that schema rejects.

Pipelines has one ``/group`` call for every way v2 relates people and objects,
and the Track v2 coalescer (in :mod:`._pipelines_to_v2`) reads relationship
calls back as the person's (``person/add_relationships``, or the identify they
follow). An object-side operation that therefore reads back in another form
(``object/add_relationships``, ``object/delete_relationships``, an
``object/identify`` without object attributes, an ``object/identify_anonymous``
without people) is reported as a change with reason ``shape``: nothing is lost,
but a round trip gives the person-side form.

Customer.io stores ISO 8601 strings sent through Pipelines as Unix seconds
(and a conversion back to Track does the same), so an attribute *string*
shaped like an ISO timestamp is reported (reason ``offset``: its text form is
not kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conversion import Context, Node
from ..errors import InvalidTimestampError
from ..request import Request
from ..validation import is_valid
from . import UNSUPPORTED, Converter, register
from ._common import (
    custom_event_name,
    flag_iso_strings,
    note_email_device_token,
    object_type_int,
    pipelines_call,
    pipelines_device,
    read_back_as,
    take_pipelines_time,
    to_pipelines_time,
    user_id_from_v2,
)

__all__: list[str] = []

#: ``traits`` keys the Pipelines identify schema gives a type of their own.
_RESERVED_TRAITS = ("email", "createdAt", "unsubscribed", "cio_subscription_preferences")

#: Page ``properties`` the Pipelines page schema types as strings (``url`` is the page name).
_PAGE_STRING_PROPERTIES = ("category", "title", "referrer", "path", "search")

#: Group ``traits`` keys with a meaning of their own: an object attribute cannot use them.
_GROUP_RESERVED = ("object_type_id", "objectTypeId", "relationshipAttributes", "relationship_traits")

_NO_PERSON = (
    "Pipelines names a person by userId (an id, an email or cio_<cio_id>), and this person is named only "
    "by phone; name the person by id, email or cio_id and send the phone number as a trait"
)


# -- helpers -------------------------------------------------------------------------------
def _semantic(event: str, who: Mapping[str, Any], **fields: Any) -> Request:
    """A ``/v1/track`` call carrying the Customer.io semantic ``event``."""
    return pipelines_call("track", {**who, "event": event, **fields})


def _user_id(ctx: Context, ids: Node | None, what: str = "person") -> str | None:
    """The ``userId`` for v2 person ``identifiers`` (taken); None for a person named only by phone.

    A blank identifier names nobody: unsupported.
    """
    if ids is None:  # pragma: no cover - the schemas require identifiers
        raise ctx.unsupported(f"the {what} has no identifiers")
    for key in ("id", "email", "cio_id"):
        value = ids.peek(key)
        if key in ids and (not isinstance(value, str) or not value.strip()):
            raise ctx.unsupported(f"the {what}'s {key} is blank, and a blank identifier names nobody")
    return user_id_from_v2(ctx, ids)


def _person(ctx: Context, node: Node, key: str = "identifiers", what: str = "person") -> str:
    """The ``userId`` of ``node[key]``; unsupported when the person has no Pipelines identifier."""
    user_id = _user_id(ctx, node.node(key), what)
    if user_id is None:
        raise ctx.unsupported(_NO_PERSON)
    return user_id


def _rejected_traits(traits: Mapping[str, Any]) -> list[str]:
    """The reserved keys of ``traits`` whose values the Pipelines identify schema rejects."""
    bad: list[str] = []
    for key in _RESERVED_TRAITS:
        if key not in traits:
            continue
        value = traits[key]
        if key == "email":
            ok = isinstance(value, str)
        elif key == "unsubscribed":
            ok = isinstance(value, bool)
        else:
            ok = is_valid(pipelines_call("identify", {"userId": "x", "traits": {key: value}}))
        if not ok:
            bad.append(key)
    return bad


def _object_ref(ctx: Context, item: Node) -> tuple[str, str] | None:
    """``(object_type_id, object_id)`` of a relationship item (taken); None for ``cio_object_id`` (reported)."""
    ids = item.node("identifiers")
    if ids is not None and "object_type_id" in ids and "object_id" in ids:
        return ids.take("object_type_id"), ids.take("object_id")
    if ids is not None:
        for key in list(ids.unused()):
            ids.drop(
                key,
                "no-home",
                "Pipelines names objects by object type and object id; "
                "a relationship to an object named by cio_object_id has no Pipelines form",
            )
    item.drop("relationship_attributes", "no-home", "its relationship has no Pipelines form")
    return None


def _object(ctx: Context, node: Node) -> tuple[str, str]:
    """``(object_type_id, object_id)`` of an object operation (taken); unsupported for ``cio_object_id``."""
    ids = node.node("identifiers")
    if ids is None or "object_type_id" not in ids or "object_id" not in ids:
        raise ctx.unsupported(
            "Pipelines names a group (object) by its object id and object type; an object named only by "
            "cio_object_id has no Pipelines form. Name the object by object_type_id and object_id"
        )
    return ids.take("object_type_id"), ids.take("object_id")


def _items(ctx: Context, node: Node, key: str) -> list[tuple[int, Node]]:
    """The items of the list ``node[key]`` (taken) as views; an empty list is reported."""
    items = node.take(key)
    if not isinstance(items, list):  # pragma: no cover - the schemas require an array
        return []
    if not items:
        ctx.lose(node.at(key), items, "no-home", "an empty list of relationships has no Pipelines form")
        return []
    base = node.at(key)
    return [(index, ctx.root(item, f"{base}/{index}")) for index, item in enumerate(items) if isinstance(item, Mapping)]


def _group(ctx: Context, who: Mapping[str, Any], object_id: str, traits: dict[str, Any], item: Node | None) -> Request:
    """A ``/group`` call; the relationship attributes of ``item`` (if any) under the configured key."""
    body: dict[str, Any] = {**who, "groupId": object_id}
    traits = dict(traits)
    if item is not None and "relationship_attributes" in item:
        attrs = item.take("relationship_attributes")
        flag_iso_strings(ctx, attrs, item.at("relationship_attributes"))
        traits[ctx.options.relationship_key] = attrs
    body["traits"] = traits
    return pipelines_call("group", body)


def _lone_group(ctx: Context, object_id: str, traits: dict[str, Any]) -> Request:
    """A ``/group`` call without a person (an object identified on its own).

    One ``/group`` call needs only ``groupId``; a schema that still asks for a
    person makes this unsupported rather than an invalid request.
    """
    request = _group(ctx, {}, object_id, traits, None)
    if not is_valid(request):
        raise ctx.unsupported(
            "the Pipelines /group schema asks for a userId or an anonymousId, and this object operation relates "
            "no person; add a person to cio_relationships"
        )
    return request


def _nothing_sent(ctx: Context, out: list[Request]) -> list[Request]:
    """``out``, or unsupported when no relationship of the operation has a Pipelines form."""
    if not out:
        raise ctx.unsupported("the operation names no relationship that has a Pipelines form, so nothing would be sent")
    return out


def _relationship_deleted(
    ctx: Context, who: Mapping[str, Any], type_id: Any, object_id: Any, at: str
) -> Request | None:
    """A ``Relationship Deleted`` event (its ``objectTypeId`` an integer); None when the type is not one."""
    type_int = object_type_int(type_id)
    if type_int is None:
        ctx.lose(at + "/object_type_id", type_id, "not-allowed", "Relationship Deleted takes an integer objectTypeId")
        ctx.lose(at + "/object_id", object_id, "no-home", "this relationship deletion cannot be sent without it")
        return None
    if str(type_int) != type_id:
        ctx.change(at + "/object_type_id", type_id, type_int, "type")
    return _semantic("Relationship Deleted", who, properties={"objectId": object_id, "objectTypeId": type_int})


# -- person identify -----------------------------------------------------------------------
@register("track_v2/person/identify", "pipelines")
def person_identify(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/identify → ``/identify`` (+ one ``/group`` per ``cio_relationships`` item)."""
    user_id = _user_id(ctx, node.node("identifiers"))
    body: dict[str, Any] = {}
    if user_id is not None:
        body["userId"] = user_id
    attrs = node.node("attributes")
    if attrs is not None:
        if isinstance(attrs.peek("anonymous_id"), str):
            body["anonymousId"] = attrs.take("anonymous_id")
        traits: dict[str, Any] = {}
        created = attrs.peek("created_at")
        if (
            "created_at" in attrs
            and "createdAt" not in attrs
            and isinstance(created, int)
            and not isinstance(created, bool)
        ):
            try:
                traits["createdAt"] = to_pipelines_time(ctx, created, attrs.at("created_at"))
                attrs.use("created_at")
            except InvalidTimestampError:
                pass  # out of the ISO range: carried as the integer it is, under created_at
        attrs.drop("_update", "no-home", "Pipelines has no update-only flag: an identify creates the person if needed")
        for key in _rejected_traits(attrs.data):
            attrs.drop(key, "not-allowed", f"Pipelines gives traits.{key} a type this value does not have")
        rest = attrs.rest()
        flag_iso_strings(ctx, rest, attrs.pointer)
        traits.update(rest)
        body["traits"] = traits
    if "userId" not in body and "anonymousId" not in body:
        raise ctx.unsupported(_NO_PERSON)
    timestamp = take_pipelines_time(ctx, node, "timestamp")
    if timestamp is not None:
        body["timestamp"] = timestamp
    out = [pipelines_call("identify", body)]
    if "cio_relationships" in node:
        who = {"userId": user_id} if user_id is not None else {"anonymousId": body["anonymousId"]}
        for _, item in _items(ctx, node, "cio_relationships"):
            ref = _object_ref(ctx, item)
            if ref is not None:
                out.append(_group(ctx, who, ref[1], {"object_type_id": ref[0]}, item))
    return out


# -- person calls without data -------------------------------------------------------------
def _person_event(event: str, action: str) -> Converter:
    """A converter for a v2 person ``action`` that becomes the semantic ``event``."""

    def convert(node: Node, request: Request, ctx: Context) -> list[Request]:
        return [_semantic(event, {"userId": _person(ctx, node)})]

    convert.__doc__ = f"person/{action} → ``{event}``."
    convert.__name__ = f"person_{action}"
    return convert


register("track_v2/person/delete", "pipelines")(_person_event("User Deleted", "delete"))
register("track_v2/person/suppress", "pipelines")(_person_event("User Suppressed", "suppress"))
register("track_v2/person/unsuppress", "pipelines")(_person_event("User Unsuppressed", "unsuppress"))


# -- events --------------------------------------------------------------------------------
def _event_fields(ctx: Context, node: Node, body: dict[str, Any]) -> None:
    """``timestamp`` → ISO 8601 and ``id`` → ``messageId`` into ``body``."""
    timestamp = take_pipelines_time(ctx, node, "timestamp")
    if timestamp is not None:
        body["timestamp"] = timestamp
    if "id" in node:
        body["messageId"] = node.take("id")


@register("track_v2/person/event", "pipelines")
def person_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/event → ``/track`` (``name`` → ``event``, ``attributes`` → ``properties``)."""
    custom_event_name(ctx, node.peek("name"))
    body: dict[str, Any] = {"userId": _person(ctx, node), "event": node.take("name")}
    if "attributes" in node:
        attrs = node.take("attributes")
        flag_iso_strings(ctx, attrs, node.at("attributes"))
        body["properties"] = attrs
    _event_fields(ctx, node, body)
    return [pipelines_call("track", body)]


@register("track_v2/person/page", "pipelines")
def person_page(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/page → ``/page`` (``name``, the page's URL, → ``properties.url``)."""
    body: dict[str, Any] = {"userId": _person(ctx, node)}
    properties: dict[str, Any] = {"url": node.take("name")}
    attrs = node.node("attributes")
    if attrs is not None:
        if not attrs.data:
            ctx.lose(attrs.pointer, {}, "no-home", "an empty attributes object has no separate place in a page call")
        attrs.drop("url", "conflict", "the page's URL (the v2 page name) fills properties.url")
        for key in _PAGE_STRING_PROPERTIES:
            if key in attrs and not isinstance(attrs.peek(key), str):
                attrs.drop(key, "not-allowed", f"Pipelines page properties.{key} must be a string")
        rest = attrs.rest()
        flag_iso_strings(ctx, {k: v for k, v in rest.items() if k not in _PAGE_STRING_PROPERTIES}, attrs.pointer)
        properties.update(rest)
    body["properties"] = properties
    _event_fields(ctx, node, body)
    return [pipelines_call("page", body)]


@register("track_v2/person/screen", "pipelines")
def person_screen(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/screen → ``/screen`` (``attributes`` → ``properties``)."""
    body: dict[str, Any] = {"userId": _person(ctx, node), "name": node.take("name")}
    if "attributes" in node:
        attrs = node.take("attributes")
        flag_iso_strings(ctx, attrs, node.at("attributes"))
        body["properties"] = attrs
    _event_fields(ctx, node, body)
    return [pipelines_call("screen", body)]


# -- relationships -------------------------------------------------------------------------
@register("track_v2/person/add_relationships", "pipelines")
def person_add_relationships(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/add_relationships → one ``/group`` per object."""
    who = {"userId": _person(ctx, node)}
    out: list[Request] = []
    for _, item in _items(ctx, node, "cio_relationships"):
        ref = _object_ref(ctx, item)
        if ref is not None:
            out.append(_group(ctx, who, ref[1], {"object_type_id": ref[0]}, item))
    return _nothing_sent(ctx, out)


@register("track_v2/person/delete_relationships", "pipelines")
def person_delete_relationships(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/delete_relationships → one ``Relationship Deleted`` event per object."""
    who = {"userId": _person(ctx, node)}
    out: list[Request] = []
    for _, item in _items(ctx, node, "cio_relationships"):
        ref = _object_ref(ctx, item)
        if ref is None:
            continue
        item.drop("relationship_attributes", "no-home", "Relationship Deleted carries no relationship attributes")
        event = _relationship_deleted(ctx, who, ref[0], ref[1], item.at("identifiers"))
        if event is not None:
            out.append(event)
    return _nothing_sent(ctx, out)


# -- devices -------------------------------------------------------------------------------
@register("track_v2/person/add_device", "pipelines")
def person_add_device(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/add_device → ``Device Created or Updated`` (token and platform in ``context.device``)."""
    who = {"userId": _person(ctx, node)}
    device = node.node("device")
    if device is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the body has no device")
    fields = pipelines_device(ctx, device, "token")
    return [_semantic("Device Created or Updated", who, **fields)]


@register("track_v2/person/delete_device", "pipelines")
def person_delete_device(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/delete_device → ``Device Deleted`` (the token in ``context.device.token``)."""
    who = {"userId": _person(ctx, node)}
    device = node.node("device")
    if device is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the body has no device")
    return [_semantic("Device Deleted", who, context={"device": {"token": device.take("token")}})]


# -- merge ---------------------------------------------------------------------------------
@register("track_v2/person/merge", "pipelines")
def person_merge(node: Node, request: Request, ctx: Context) -> list[Request]:
    """person/merge → ``/alias`` (primary → ``userId``, secondary → ``previousId``)."""
    body = {
        "userId": _person(ctx, node, "primary", "primary person"),
        "previousId": _person(ctx, node, "secondary", "secondary person"),
    }
    ctx.note(
        "Customer.io treats a Pipelines alias as a merge: the previousId profile is merged into the userId "
        "profile and then deleted; it cannot be undone"
    )
    return [pipelines_call("alias", body)]


# -- objects -------------------------------------------------------------------------------
def _object_traits(ctx: Context, node: Node) -> dict[str, Any]:
    """The object ``attributes`` as ``/group`` traits (reserved group keys and an empty object reported)."""
    attrs = node.node("attributes")
    if attrs is None:
        return {}
    if not attrs.data:
        ctx.lose(attrs.pointer, {}, "no-home", "an empty attributes object has no separate place in a /group call")
    for key in _GROUP_RESERVED:
        attrs.drop(key, "conflict", f"/group traits.{key} has a meaning of its own; an object attribute cannot use it")
    rest = attrs.rest()
    flag_iso_strings(ctx, rest, attrs.pointer)
    return rest


@register("track_v2/object/identify", "pipelines")
def object_identify(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/identify → one ``/group`` per related person, or one ``/group`` without a person."""
    type_id, object_id = _object(ctx, node)
    traits = {**_object_traits(ctx, node), "object_type_id": type_id}
    if "cio_relationships" not in node:
        return [_lone_group(ctx, object_id, traits)]
    out: list[Request] = []
    for index, item in _items(ctx, node, "cio_relationships"):
        who = {"userId": _person(ctx, item, what=f"person at cio_relationships/{index}")}
        out.append(_group(ctx, who, object_id, traits, item))
    if not out:
        return [_lone_group(ctx, object_id, traits)]
    if len(traits) == 1:
        read_back_as(ctx, node, "object/identify", "person/add_relationships")
    return out


@register("track_v2/object/identify_anonymous", "pipelines")
def object_identify_anonymous(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/identify_anonymous → one ``/group`` with ``anonymousId`` per related anonymous person."""
    type_id, object_id = _object(ctx, node)
    traits = {**_object_traits(ctx, node), "object_type_id": type_id}
    out: list[Request] = []
    if "cio_relationships" in node:
        for _, item in _items(ctx, node, "cio_relationships"):
            ids = item.node("identifiers")
            if ids is None:  # pragma: no cover - the schema requires identifiers
                continue
            out.append(_group(ctx, {"anonymousId": ids.take("anonymous_id")}, object_id, traits, item))
    if not out:
        lone = _lone_group(ctx, object_id, traits)
        read_back_as(ctx, node, "object/identify_anonymous", "object/identify")
        return [lone]
    return out


@register("track_v2/object/add_relationships", "pipelines")
def object_add_relationships(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/add_relationships → one ``/group`` per person."""
    type_id, object_id = _object(ctx, node)
    out: list[Request] = []
    for index, item in _items(ctx, node, "cio_relationships"):
        who = {"userId": _person(ctx, item, what=f"person at cio_relationships/{index}")}
        out.append(_group(ctx, who, object_id, {"object_type_id": type_id}, item))
    _nothing_sent(ctx, out)
    read_back_as(ctx, node, "object/add_relationships", "person/add_relationships")
    return out


@register("track_v2/object/delete_relationships", "pipelines")
def object_delete_relationships(node: Node, request: Request, ctx: Context) -> list[Request]:
    """object/delete_relationships → one ``Relationship Deleted`` event per person."""
    type_id, object_id = _object(ctx, node)
    type_int = object_type_int(type_id)
    if type_int is None:
        raise ctx.unsupported(
            f"Relationship Deleted takes an integer objectTypeId, and the object type {type_id!r} is not one"
        )
    if str(type_int) != type_id:
        ctx.change(node.at("identifiers") + "/object_type_id", type_id, type_int, "type")
    properties = {"objectId": object_id, "objectTypeId": type_int}
    out: list[Request] = []
    for index, item in _items(ctx, node, "cio_relationships"):
        who = {"userId": _person(ctx, item, what=f"person at cio_relationships/{index}")}
        item.drop("relationship_attributes", "no-home", "Relationship Deleted carries no relationship attributes")
        out.append(_semantic("Relationship Deleted", who, properties=dict(properties)))
    _nothing_sent(ctx, out)
    read_back_as(ctx, node, "object/delete_relationships", "person/delete_relationships")
    return out


UNSUPPORTED[("track_v2/object/delete", "pipelines")] = (
    "Pipelines deletes an object with an Object Deleted event, which must carry a userId or an anonymousId, "
    "and a Track v2 object delete names no person. Send Object Deleted to /v1/track yourself with "
    "properties.objectId, properties.objectTypeId and the userId or anonymousId of any person"
)


# -- delivery ------------------------------------------------------------------------------
@register("track_v2/delivery/event", "pipelines")
def delivery_event(node: Node, request: Request, ctx: Context) -> list[Request]:
    """delivery/event → ``Report Delivery Event`` (``deliveryId``, ``metric``, ``recipient``)."""
    ids = node.node("identifiers")
    attributes = node.node("attributes")
    if ids is None or attributes is None:  # pragma: no cover - the schema requires both
        raise ctx.unsupported("the delivery event has no identifiers or attributes")
    properties = {
        "deliveryId": ids.take("id"),
        "metric": node.take("name"),
        "recipient": attributes.take("device_token"),
    }
    note_email_device_token(ctx, properties["recipient"])
    return [_semantic("Report Delivery Event", {}, properties=properties)]
