"""Track API v1 → Pipelines API.

One v1 request becomes one Pipelines call, except an identify carrying
``cio_relationships``: it becomes an ``/identify`` followed by one ``/group``
per added relationship, or one ``Relationship Deleted`` semantic event per
removed one. The Track v1 coalescer (in :mod:`._pipelines_to_v1`) merges
those back, so Track v1 → Pipelines → Track v1 is exact whenever the first
step reports no losses.

Rules (``reference/catalogue.md`` §4.2):

- the path ``{identifier}`` is the ``userId`` as it is (a ``cio_`` prefix kept);
- identify body attributes become ``traits`` under the same keys;
  ``anonymous_id`` → ``anonymousId``; ``created_at`` → ``traits.createdAt``
  and ``_timestamp`` → ``timestamp`` as ISO 8601; ``_update`` has no home;
- events: ``name`` → ``event``, ``data`` → ``properties``, ``id`` →
  ``messageId``, ``timestamp`` → ISO 8601; a page view's ``name`` (its URL) →
  ``properties.url``; a screen view keeps its ``name``;
- device, delete, suppress and unsuppress calls become Customer.io semantic
  events; ``merge_customers`` becomes ``/alias``; delivery metrics become
  ``Report Delivery Event``.

Customer.io turns ISO 8601 strings received through Pipelines into Unix
seconds, and converting back to Track does the same (option
``convert_iso_attributes``), so an attribute *string* shaped like an ISO
timestamp cannot come back as the same string: each one is reported (reason
``offset``: its text form is not kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conversion import Context, Node
from ..errors import InvalidTimestampError, pointer_from_parts
from ..request import Request
from . import UNSUPPORTED, register
from ._common import (
    custom_event_name,
    flag_iso_strings,
    identifier_from_v1,
    implied,
    object_type_int,
    pipelines_call,
    pipelines_device,
    read_back_as,
    take_pipelines_time,
    to_pipelines_time,
    user_id_from_v2,
)

__all__: list[str] = []

#: The ``metric`` values Pipelines' ``Report Delivery Event`` accepts.
PIPELINES_METRICS = ("delivered", "clicked", "converted", "opened")

#: Page properties the Pipelines schema types as strings.
_PAGE_STRING_PROPERTIES = ("category", "referrer", "path", "search", "title")


# -- helpers -------------------------------------------------------------------------------
def _semantic(event: str, user_id: str | None, **fields: Any) -> Request:
    """A ``/v1/track`` call carrying a Customer.io semantic event."""
    body: dict[str, Any] = {}
    if user_id is not None:
        body["userId"] = user_id
    body["event"] = event
    body.update(fields)
    return pipelines_call("track", body)


def _user_id(request: Request, ctx: Context) -> str:
    """The ``userId`` for the person in the path."""
    return identifier_from_v1(ctx, request.params["identifier"])


# -- identify ------------------------------------------------------------------------------
@register("track_v1/identify", "pipelines")
def identify(node: Node, request: Request, ctx: Context) -> list[Request]:
    """PUT customers/{identifier} → ``/identify`` (+ ``/group`` or ``Relationship Deleted`` per relationship)."""
    user_id = _user_id(request, ctx)
    body: dict[str, Any] = {"userId": user_id}
    if isinstance(node.peek("anonymous_id"), str):
        body["anonymousId"] = node.take("anonymous_id")
    traits: dict[str, Any] = {}
    if "created_at" in node:
        created = node.peek("created_at")
        try:
            traits["createdAt"] = to_pipelines_time(ctx, created, node.at("created_at"))
        except InvalidTimestampError:
            traits["created_at"] = created  # out of the ISO range: carried as the integer it is
        node.use("created_at")
    timestamp = take_pipelines_time(ctx, node, "_timestamp")
    node.drop("_update", "no-home", "Pipelines has no update-only flag: an identify creates the person if needed")
    node.drop(
        "createdAt",
        "not-allowed",
        "Pipelines reserves traits.createdAt for the creation time (Track's created_at)",
    )
    relationships = node.node("cio_relationships")
    rest = node.rest()
    flag_iso_strings(ctx, rest, node.pointer)
    traits.update(rest)
    if traits:
        body["traits"] = traits
    if timestamp is not None:
        body["timestamp"] = timestamp
    extra = _relationships(ctx, relationships, user_id) if relationships is not None else []
    if len(body) > 1 or not extra:
        return [pipelines_call("identify", body), *extra]
    return extra


def _relationships(ctx: Context, rel: Node, user_id: str) -> list[Request]:
    """``cio_relationships`` → one ``/group`` (add) or ``Relationship Deleted`` (delete) per relationship."""
    action = rel.take("action")
    items = rel.take("relationships")
    if not isinstance(items, list) or not items:
        ctx.lose(rel.pointer, rel.data, "no-home", "an empty list of relationships has no Pipelines form")
        return []
    out: list[Request] = []
    base = rel.at("relationships")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            ctx.lose(f"{base}/{index}", item, "not-allowed", "a relationship must be an object")
            continue
        one = ctx.root(item, f"{base}/{index}")
        ids = one.node("identifiers")
        if ids is None or "object_type_id" not in ids or "object_id" not in ids:
            if ids is not None:
                for key in list(ids.unused()):
                    ids.drop(
                        key,
                        "no-home",
                        "Pipelines names objects by object type and object id; "
                        "a relationship identified by cio_object_id has no Pipelines form",
                    )
            one.drop("relationship_attributes", "no-home", "its relationship has no Pipelines form")
            continue
        type_id = ids.take("object_type_id")
        object_id = ids.take("object_id")
        if action == "add_relationships":
            traits: dict[str, Any] = {"object_type_id": type_id}
            if "relationship_attributes" in one:
                attrs = one.take("relationship_attributes")
                flag_iso_strings(ctx, attrs, one.at("relationship_attributes"))
                traits[ctx.options.relationship_key] = attrs
            out.append(pipelines_call("group", {"userId": user_id, "groupId": object_id, "traits": traits}))
            continue
        type_int = object_type_int(type_id)
        if type_int is None:
            ctx.lose(
                ids.at("object_type_id"), type_id, "not-allowed", "Relationship Deleted takes an integer objectTypeId"
            )
            ctx.lose(ids.at("object_id"), object_id, "no-home", "this relationship deletion cannot be sent without it")
            one.drop("relationship_attributes", "no-home", "its relationship deletion cannot be sent")
            continue
        if str(type_int) != type_id:
            ctx.change(ids.at("object_type_id"), type_id, type_int, "type")
        one.drop("relationship_attributes", "no-home", "Relationship Deleted carries no relationship attributes")
        out.append(
            _semantic("Relationship Deleted", user_id, properties={"objectId": object_id, "objectTypeId": type_int})
        )
    return out


# -- person calls without a body -----------------------------------------------------------
@register("track_v1/delete", "pipelines")
def delete(node: Node, request: Request, ctx: Context) -> list[Request]:
    """DELETE customers/{identifier} → ``User Deleted``."""
    return [_semantic("User Deleted", _user_id(request, ctx))]


@register("track_v1/suppress", "pipelines")
def suppress(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST customers/{identifier}/suppress → ``User Suppressed``."""
    return [_semantic("User Suppressed", _user_id(request, ctx))]


@register("track_v1/unsuppress", "pipelines")
def unsuppress(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST customers/{identifier}/unsuppress → ``User Unsuppressed``."""
    return [_semantic("User Unsuppressed", _user_id(request, ctx))]


# -- devices -------------------------------------------------------------------------------
@register("track_v1/add_device", "pipelines")
def add_device(node: Node, request: Request, ctx: Context) -> list[Request]:
    """PUT customers/{identifier}/devices → ``Device Created or Updated``."""
    device = node.node("device")
    if device is None:  # pragma: no cover - the schema requires it
        raise ctx.unsupported("the body has no device")
    fields = pipelines_device(ctx, device, "id")
    return [_semantic("Device Created or Updated", _user_id(request, ctx), **fields)]


@register("track_v1/delete_device", "pipelines")
def delete_device(node: Node, request: Request, ctx: Context) -> list[Request]:
    """DELETE customers/{identifier}/devices/{device_id} → ``Device Deleted``."""
    token = request.params["device_id"]
    return [_semantic("Device Deleted", _user_id(request, ctx), context={"device": {"token": token}})]


# -- events --------------------------------------------------------------------------------
def _event(node: Node, ctx: Context, who: dict[str, Any]) -> list[Request]:
    """An event, page view or screen view body → ``/track``, ``/page`` or ``/screen``."""
    kind = node.peek("type", "event")
    if kind == "event":
        implied(ctx, node, "type")  # /track says it; Track v1 leaves the default out
    else:
        node.use("type")
    if isinstance(node.peek("anonymous_id"), str):
        who = {**who, "anonymousId": node.take("anonymous_id")}
    name = node.take("name")
    has_data = isinstance(node.peek("data"), Mapping)
    data: Mapping[str, Any] = node.take("data") if has_data else {}
    data_pointer = node.at("data")
    timestamp = take_pipelines_time(ctx, node, "timestamp")
    body: dict[str, Any] = dict(who)
    if kind == "page":
        properties: dict[str, Any] = {"url": name}
        if has_data and not data:
            ctx.lose(data_pointer, {}, "no-home", "an empty data object has no separate place in a Pipelines page call")
        for key, value in data.items():
            pointer = data_pointer + pointer_from_parts([key])
            if key == "url":
                ctx.lose(pointer, value, "conflict", "the page URL (the Track page name) fills properties.url")
            elif key in _PAGE_STRING_PROPERTIES and not isinstance(value, str):
                ctx.lose(pointer, value, "not-allowed", f"Pipelines page properties.{key} must be a string")
            else:
                properties[key] = value
        flag_iso_strings(ctx, {k: v for k, v in data.items() if k in properties and k != "url"}, data_pointer)
        body["properties"] = properties
        call = "page"
    else:
        if kind == "screen":
            body["name"] = name
            call = "screen"
        else:
            body["event"] = custom_event_name(ctx, name)
            call = "track"
        if has_data:
            flag_iso_strings(ctx, data, data_pointer)
            body["properties"] = data
    if timestamp is not None:
        body["timestamp"] = timestamp
    if "id" in node:
        body["messageId"] = node.take("id")
    return [pipelines_call(call, body)]


@register("track_v1/track", "pipelines")
def track(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST customers/{identifier}/events → ``/track``, ``/page`` or ``/screen`` (by ``type``)."""
    return _event(node, ctx, {"userId": _user_id(request, ctx)})


@register("track_v1/track_anonymous", "pipelines")
def track_anonymous(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST /api/v1/events → ``/track``, ``/page`` or ``/screen`` with ``anonymousId``."""
    anonymous_id = node.peek("anonymous_id")
    if not isinstance(anonymous_id, str) or not anonymous_id.strip():
        raise ctx.unsupported(
            "a Pipelines call needs a userId or an anonymousId, and this anonymous event has no anonymous_id; "
            "add the anonymous_id the visitor's other calls carry"
        )
    return _event(node, ctx, {})


# -- merge ---------------------------------------------------------------------------------
@register("track_v1/merge", "pipelines")
def merge(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST merge_customers → ``/alias`` (primary → ``userId``, secondary → ``previousId``)."""
    body: dict[str, Any] = {}
    for side, key in (("primary", "userId"), ("secondary", "previousId")):
        ref = node.node(side)
        value = user_id_from_v2(ctx, ref) if ref is not None else None
        if value is None:  # pragma: no cover - the schema requires one identifier per side
            raise ctx.unsupported(f"the {side} person has no id, email or cio_id")
        body[key] = value
    ctx.note("a Pipelines alias sent to Customer.io merges previousId into userId and deletes the previousId profile")
    return [pipelines_call("alias", body)]


# -- delivery metrics ----------------------------------------------------------------------
def _delivery(ctx: Context, node: Node, metric_key: str, recipient_key: str) -> list[Request]:
    metric = node.peek(metric_key)
    if metric is not None and metric not in PIPELINES_METRICS:
        raise ctx.unsupported(
            f"Pipelines' Report Delivery Event accepts only the metrics {', '.join(PIPELINES_METRICS)}; "
            f"{metric!r} has no Pipelines form. Keep reporting it to Track v1 POST /api/v1/metrics"
        )
    properties: dict[str, Any] = {}
    if "delivery_id" in node:
        properties["deliveryId"] = node.take("delivery_id")
    if metric_key in node:
        properties["metric"] = node.take(metric_key)
    if recipient_key in node:
        recipient = node.take(recipient_key)
        if isinstance(recipient, int) and not isinstance(recipient, bool):
            ctx.change(node.at(recipient_key), recipient, str(recipient), "type")
            recipient = str(recipient)
        properties["recipient"] = recipient
    for key in ("reason", "href"):
        if isinstance(node.peek(key), str):
            properties[key] = node.take(key)
        else:
            node.drop(key, "not-allowed", f"Report Delivery Event properties.{key} must be a string")
    fields: dict[str, Any] = {"properties": properties}
    timestamp = take_pipelines_time(ctx, node, "timestamp")
    if timestamp is not None:
        fields["timestamp"] = timestamp
    return [_semantic("Report Delivery Event", None, **fields)]


@register("track_v1/metrics", "pipelines")
def metrics(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST /api/v1/metrics → ``Report Delivery Event``."""
    return _delivery(ctx, node, "metric", "recipient")


@register("track_v1/push_metrics", "pipelines")
def push_metrics(node: Node, request: Request, ctx: Context) -> list[Request]:
    """POST /api/v1/push/events → ``Report Delivery Event`` (the device token as ``recipient``)."""
    out = _delivery(ctx, node, "event", "device_id")
    read_back_as(ctx, node, "POST /api/v1/push/events", "POST /api/v1/metrics")  # the route that superseded it
    return out


# -- no counterpart ------------------------------------------------------------------------
UNSUPPORTED[("track_v1/get_region", "*")] = (
    "looking up the account's region sends no data, so there is nothing to convert; "
    "Pipelines calls go to cdp.customer.io (US) or cdp-eu.customer.io (EU) by the account's region"
)
UNSUPPORTED[("track_v1/unsubscribe", "*")] = (
    "an unsubscribe attributed to a delivery has no counterpart: the request names no person, "
    "and Report Delivery Event has no unsubscribe metric. If you know the person, send an identify "
    "with the trait unsubscribed = true (the delivery attribution is then lost)"
)
UNSUPPORTED[("track_v1/submit_form", "*")] = (
    "form submissions exist only in Track v1 (the form connection and its fields are Track-only); "
    "to record the person, send an identify with the form fields as traits instead"
)
UNSUPPORTED[("track_v1/add_to_segment", "*")] = (
    "manual segment membership exists only in Track v1; keep adding people to manual segments "
    "with POST /api/v1/segments/{segment_id}/add_customers, or use a data-driven segment on a trait"
)
UNSUPPORTED[("track_v1/remove_from_segment", "*")] = (
    "manual segment membership exists only in Track v1; keep removing people from manual segments "
    "with POST /api/v1/segments/{segment_id}/remove_customers, or use a data-driven segment on a trait"
)
