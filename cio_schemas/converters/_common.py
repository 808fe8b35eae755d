"""Pieces every converter shares: identifiers, timestamps, attribute values."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from .._field_limits import ID_BYTES
from ..catalog import SEMANTIC_EVENTS, route_by_operation
from ..conversion import Context, Node
from ..errors import InvalidArgumentError, InvalidRequestError, InvalidTimestampError
from ..registry import json_byte_length
from ..request import Request, build_path
from ..timestamps import _to_ms, convert_iso_attributes, to_iso

__all__ = [
    "classify",
    "KIND_WITH_ARTICLE",
    "user_id_from_v2",
    "v2_identifiers",
    "identifier_from_v1",
    "to_track_time",
    "to_pipelines_time",
    "track_attributes",
    "object_type_int",
    "take_pipelines_time",
    "take_track_time",
    "flag_iso_strings",
    "page_url",
    "device_attributes",
    "track_device",
    "pipelines_device",
    "present",
    "blank_user_id",
    "V2_METRICS",
    "v2_delivery_event",
    "note_email_device_token",
    "take_created_at",
    "same_json",
    "device_token",
    "read_back_as",
    "implied",
    "ID_BYTES",
    "fit_id",
    "take_object_id",
    "custom_event_name",
    "v1_request",
    "v2_request",
    "pipelines_call",
]


_ZERO_OFFSET = re.compile(r"([Zz]|[+-]00:?00)$")
_HAS_OFFSET = re.compile(r"[Tt ]\d{2}:\d{2}.*[+-]\d{2}(:?\d{2})?$")


def _email_shaped(value: str) -> bool:
    """``local@domain.tld``: one ``@``, no whitespace, a dot inside the domain (a linear-time check)."""
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain[1:-1] and "@" not in domain and value.split() == [value]


#: Each identifier kind with its article, for messages ("reads as an id").
KIND_WITH_ARTICLE = {"id": "an id", "email": "an email", "cio_id": "a cio_id"}


def classify(value: str, override: str = "auto") -> tuple[str, str]:
    """The Track identifier kind of a bare Pipelines id: ``("cio_id", "abc")``, ``("email", …)`` or ``("id", …)``.

    ``cio_`` prefix → cio_id (prefix removed); an email shape → email; anything
    else → id. ``override`` forces a kind (``"cio_id"`` strips a ``cio_`` prefix if present).
    """
    if override == "id" or override == "email":
        return override, value
    if override == "cio_id":
        return "cio_id", value[4:] if value.startswith("cio_") else value
    if value.startswith("cio_"):
        return "cio_id", value[4:]
    if _email_shaped(value):
        return "email", value
    return "id", value


def v2_identifiers(ctx: Context, user_id: str, pointer: str) -> dict[str, str]:
    """Track v2 ``identifiers`` for a Pipelines ``userId`` (by :func:`classify` and the option)."""
    kind, value = classify(user_id, ctx.options.identifier_kind)
    return {kind: value}


def v1_path_identifier(ctx: Context, user_id: str, pointer: str) -> str:
    """The Track v1 path identifier for a Pipelines ``userId``, within Track's identifier limit.

    Track v1 reads the kind of a path identifier from its shape (``cio_`` prefix,
    email, else id), as :func:`classify` does. The ``identifier_kind`` option is
    honoured: ``"cio_id"`` adds the ``cio_`` prefix; a kind the path cannot show
    (``"id"`` for ``cio_abc``, ``"email"`` for ``abc``) is reported as ``identifier-kind``.
    """
    kind, bare = classify(user_id, ctx.options.identifier_kind)
    path_id = "cio_" + bare if kind == "cio_id" else bare
    shown = classify(path_id)[0]
    if shown != kind:
        ctx.lose(
            pointer,
            user_id,
            "identifier-kind",
            f"identifier_kind is {kind!r}, but Track v1 reads this path identifier as "
            f"{KIND_WITH_ARTICLE[shown]} from its shape",
        )
    return fit_id(ctx, path_id, "userId")


def user_id_from_v2(ctx: Context, identifiers: Node) -> str | None:
    """The Pipelines ``userId`` for v2 person ``identifiers`` (``cio_id`` gets its ``cio_`` prefix).

    ``phone`` has no Pipelines home and is reported; an id that would read back
    as another kind (an ``id`` shaped like an email) is reported as ``identifier-kind``.
    """
    for kind in ("id", "email", "cio_id"):
        if kind in identifiers:
            value = identifiers.take(kind)
            user_id = "cio_" + value if kind == "cio_id" else value
            if classify(user_id)[0] != kind:
                ctx.lose(
                    identifiers.at(kind),
                    value,
                    "identifier-kind",
                    f"this {kind} reads back as {KIND_WITH_ARTICLE[classify(user_id)[0]]} from its shape",
                )
            return str(user_id)
    identifiers.drop("phone", "no-home", "Pipelines has no phone identifier; send the phone as a trait")
    return None


def identifier_from_v1(ctx: Context, value: str, pointer: str = "/path") -> str:
    """A Track v1 path identifier as a Pipelines ``userId`` (the same string; ``cio_`` prefix kept)."""
    return value


_SEMANTIC_BY_CASE = {name.casefold(): name for name in SEMANTIC_EVENTS}


def note_near_semantic(ctx: Context, name: Any) -> None:
    """Note a custom event whose name is a semantic event's in other letter case (``User deleted``):
    Pipelines matches semantic events by exact name, so it is sent, and converted, as a custom event."""
    if isinstance(name, str) and name not in SEMANTIC_EVENTS:
        semantic = _SEMANTIC_BY_CASE.get(name.casefold())
        if semantic is not None:
            ctx.note(f"{name!r} is not the semantic event {semantic!r} (names match exactly): it is a custom event")


def custom_event_name(ctx: Context, name: Any) -> Any:
    """``name`` for a Pipelines custom ``/track`` event; unsupported when it is a semantic event's name.

    Pipelines reads ``event`` by name: a custom event called ``User Deleted`` would delete the person.
    """
    if isinstance(name, str) and name in SEMANTIC_EVENTS:
        raise ctx.unsupported(
            f"{name!r} is the name of a Customer.io semantic event: Pipelines would read this custom event as "
            "that operation. Rename the event"
        )
    return name


def v1_request(ctx: Context, operation: str, body: Any = None, **params: str) -> Request:
    """A Track v1 request for ``operation``, its path built from ``params`` (percent-encoded).

    An identifier no path can carry (``.`` or ``..``, which HTTP clients remove
    as dot-segments) makes the conversion unsupported.
    """
    route = route_by_operation("track-v1", operation)
    try:
        path = build_path(route.template, **params)
    except InvalidArgumentError:  # a converter's own mistake, not the input's: let it show
        raise
    except InvalidRequestError as exc:
        raise ctx.unsupported(f"Track v1 carries the person in the path: {exc}") from None
    return Request(route.method, path, body)


_ENTITY = route_by_operation("track-v2", "entity")


def v2_request(type_: str, action: str, **fields: Any) -> Request:
    """A Track v2 ``/api/v2/entity`` request for the operation ``type_`` + ``action``."""
    return Request._for_route(_ENTITY, {"type": type_, "action": action, **fields})


def pipelines_call(call: str, body: dict[str, Any]) -> Request:
    """A Pipelines call to ``/v1/<call>``."""
    return Request._for_route(route_by_operation("pipelines", call), body)


def fit_id(ctx: Context, value: str, what: str) -> str:
    """``value`` unchanged when it fits a Track identifier; unsupported when over :data:`ID_BYTES`."""
    size = json_byte_length(value)
    if size > ID_BYTES:
        api = ctx.target.replace("track-v", "Track v")
        raise ctx.unsupported(f"the {what} is {size} bytes long; {api} identifiers are at most {ID_BYTES} bytes")
    return value


def take_object_id(ctx: Context, node: Node) -> str:
    """The Pipelines ``groupId`` (taken) as a Track object id: a string within :data:`ID_BYTES`.

    The libraries send numeric group ids too; an integer (or a float holding
    one, which JSON Schema counts as an integer) becomes its decimal string and
    the change is reported.
    """
    raw = node.peek("groupId")
    object_id = take_id_text(ctx, node, "groupId")
    if not isinstance(object_id, str):
        raise ctx.unsupported(f"a Track object id is a string, not {type(raw).__name__}")
    return fit_id(ctx, object_id, "groupId")


def is_whole_number(value: Any) -> bool:
    """An integer as JSON Schema reads one: an ``int`` (not a ``bool``) or a ``float`` holding a whole number."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def is_type_id(value: Any) -> bool:
    """An object type id as the libraries send it: a string, an integer, or a float holding an integer."""
    return isinstance(value, str) or is_whole_number(value)


def take_id_text(ctx: Context, node: Node, key: str) -> Any:
    """``node[key]`` (taken) as Track writes ids, a string: an integer, or a float holding one (which JSON
    Schema counts as an integer), becomes its decimal string, and the change is reported. Anything else is
    returned as it is."""
    raw = node.take(key)
    if not is_whole_number(raw):
        return raw
    text = str(int(raw))
    ctx.change(node.at(key), raw, text, "type")
    return text


def to_pipelines_time(ctx: Context, value: Any, pointer: str) -> str:
    """Unix seconds (Track) → ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (exact)."""
    return to_iso(value)


#: The fraction of a second in a date-time string (``.0009`` in ``…T00:00:00.0009Z``).
_FRACTION = re.compile(r"\d:\d\d[.,](\d+)")


def to_track_time(ctx: Context, value: Any, pointer: str) -> int:
    """An ISO 8601 string (Pipelines) → Unix seconds, floored.

    When that changes the value (sub-second digits, or an offset other than
    UTC), the original string is reported as a loss.
    """
    ms = _to_ms(value, "s", False)  # one parse; raises InvalidTimestampError
    if isinstance(value, str):
        fraction = _FRACTION.search(value)  # digits under a millisecond are floored away before ms is known
        if ms % 1000 or (fraction is not None and fraction.group(1).strip("0")):
            ctx.lose(pointer, value, "precision", "Track timestamps are whole seconds; the fraction was dropped")
        elif _HAS_OFFSET.search(value.strip()) and not _ZERO_OFFSET.search(value.strip()):
            ctx.lose(pointer, value, "offset", "Track timestamps are Unix seconds; the UTC offset was dropped")
    return ms // 1000


def track_attributes(ctx: Context, attrs: Mapping[str, Any], pointer: str) -> dict[str, Any]:
    """Attributes on their way to Track: ISO 8601 strings become Unix seconds (if the option is on).

    Nested objects are walked; arrays are not entered (as Customer.io's own
    destination does). Every converted value is reported as a change, and as a
    loss too when the conversion dropped sub-second digits or an offset.
    """
    if not ctx.options.convert_iso_attributes:
        return dict(attrs)
    new, changes = convert_iso_attributes(attrs, base_pointer=pointer)
    for ch in changes:
        ctx.change(ch.pointer, ch.before, ch.after)
        with suppress(InvalidTimestampError):  # convert_iso_attributes only converts valid ones
            to_track_time(ctx, ch.before, ch.pointer)
    return new if isinstance(new, dict) else dict(new)  # a new dict already: no second copy


def object_type_int(value: Any) -> int | None:
    """``"1"`` → ``1`` for semantic events' integer ``objectTypeId`` (None when not an integer string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _take_time(node: Node, key: str, to: Callable[[Any, str], Any], api: str) -> Any:
    """``to(node[key], its pointer)``, the key taken; None when absent, or unreadable (reported ``not-allowed``)."""
    if key not in node:
        return None
    try:
        out = to(node.peek(key), node.at(key))
    except InvalidTimestampError as exc:
        node.drop(key, "not-allowed", f"not a date-time {api} can carry: {exc.reason}")
        return None
    node.take(key)
    return out


def take_pipelines_time(ctx: Context, node: Node, key: str) -> str | None:
    """``node[key]`` (Unix seconds) as an ISO 8601 string, or None when absent or out of range (reported)."""
    iso: str | None = _take_time(node, key, lambda v, p: to_pipelines_time(ctx, v, p), "Pipelines")
    return iso


def take_track_time(ctx: Context, node: Node, key: str) -> int | None:
    """``node[key]`` (ISO 8601) as Unix seconds, taken; None when absent or unreadable (reported)."""
    seconds: int | None = _take_time(node, key, lambda v, p: to_track_time(ctx, v, p), "Track")
    return seconds


def flag_iso_strings(ctx: Context, attrs: Any, pointer: str) -> None:
    """Report every ISO 8601-shaped string in ``attrs`` (nested objects, not arrays) as ``offset``.

    Customer.io stores such strings as Unix seconds when they arrive through
    Pipelines, and a conversion back to Track does the same, so the text form
    is not kept. Nothing is reported when ``convert_iso_attributes`` is off.
    """
    if not ctx.options.convert_iso_attributes or not isinstance(attrs, Mapping):
        return
    _, changes = convert_iso_attributes(attrs, base_pointer=pointer)
    for ch in changes:
        ctx.lose(
            ch.pointer,
            ch.before,
            "offset",
            "Customer.io stores ISO 8601 strings sent through Pipelines as Unix seconds "
            f"({ch.after}); the string form is not kept",
        )


def page_url(ctx: Context, node: Node, props: Node | None, target: str) -> str:
    """The URL that names a Pipelines page view in Track: ``properties.url``, else ``context.page.url``,
    else the page ``name``. A page ``name`` that is not that URL is reported; none at all is unsupported."""
    url: Any = None
    if props is not None and isinstance(props.peek("url"), str):
        url = props.take("url")
    else:
        context = node.node("context")
        page_context = context.node("page") if context is not None else None
        if page_context is not None and isinstance(page_context.peek("url"), str):
            url = page_context.take("url")
            ctx.change(page_context.at("url"), "context.page.url", "properties.url", "moved")
    named = url is None and isinstance(node.peek("name"), str)  # the page name is all there is to go by
    if named:
        url = node.peek("name")
    if url is None:
        raise ctx.unsupported(
            f"{target} names a page view by its URL, and this page call has no properties.url, context.page.url or name"
        )
    if "name" in node.data and node.peek("name") != url:
        node.drop("name", "no-home", f"{target} names a page view by its URL; the page name has no Track field")
    else:
        node.use("name")
        if named:  # the name gave the URL: it comes back as properties.url
            ctx.change(node.at("name"), "name", "properties.url", "moved")
    return str(url)


def device_attributes(ctx: Context, props: Node, target: str) -> dict[str, Any]:
    """A semantic device event's ``properties`` as Track device attributes (all strings).

    ``_last_status`` is read-only; non-string values and a ``push_enabled``
    other than ``"true"``/``"false"`` are reported instead of sent.
    """
    props.drop("_last_status", "read-only", "the device's last delivery status is set by Customer.io")
    attributes: dict[str, Any] = {}
    for key, value in props.rest().items():
        if not isinstance(value, str):
            ctx.lose(props.at(key), value, "not-allowed", f"{target} device attributes are strings")
        elif key == "push_enabled" and value not in ("true", "false"):
            ctx.lose(props.at(key), value, "not-allowed", f'{target} takes push_enabled as "true" or "false"')
        else:
            attributes[key] = value
    return attributes


#: The device platforms Track accepts.
DEVICE_PLATFORMS = ("ios", "android")


def device_token(ctx: Context, node: Node, target: str, *, path: bool = False) -> tuple[str, Node, Node]:
    """A semantic device event's ``context.device.token`` (taken), the device view and the context view.

    Unsupported when the token is not a string, or (``path``: it goes into a
    Track v1 path) when it is blank.
    """
    context = node.node("context")
    device = context.node("device") if context is not None else None
    token = device.peek("token") if device is not None else None
    if context is None or device is None or not isinstance(token, str) or (path and not token.strip()):
        raise ctx.unsupported(
            f"{target} needs the device token as a " + ("non-empty " if path else "") + "string in context.device.token"
        )
    return device.take("token"), device, context


def track_device(ctx: Context, node: Node, target: str, token_key: str) -> dict[str, Any]:
    """``Device Created or Updated`` → the Track ``device`` object (the token under ``token_key``).

    ``context.device.type`` → ``platform`` (unsupported unless ios or android),
    ``timestamp`` → ``last_used``, ``properties`` → ``attributes`` and
    ``context.app.version`` → ``attributes.app_version`` (a different
    ``properties.app_version`` wins, and the context value is reported).
    """
    token, device_node, context = device_token(ctx, node, target)
    if device_node.peek("type") not in DEVICE_PLATFORMS:
        raise ctx.unsupported(
            f"{target} needs the device platform (ios or android), and this event has no context.device.type"
        )
    device: dict[str, Any] = {token_key: token, "platform": device_node.take("type")}
    last_used = take_track_time(ctx, node, "timestamp")
    if last_used is not None:
        device["last_used"] = last_used
    props = node.node("properties")
    if props is not None:
        device["attributes"] = device_attributes(ctx, props, target)
    app = context.node("app")
    version = app.peek("version") if app is not None else None
    if app is not None and isinstance(version, str):
        attributes = device.setdefault("attributes", {})
        if attributes.setdefault("app_version", version) == version:
            app.use("version")  # converting back puts it in properties, as every device attribute
            ctx.change(app.at("version"), "context.app.version", "properties.app_version", "moved")
        else:
            app.drop("version", "conflict", "properties.app_version already sets the device's app_version")
    return device


def pipelines_device(ctx: Context, device: Node, token_key: str) -> dict[str, Any]:
    """A Track ``device`` (its token under ``token_key``) → the fields of ``Device Created or Updated``.

    The token and platform go to ``context.device``, ``attributes`` to
    ``properties`` (``_last_status``, read-only, reported) and ``last_used`` to
    ``timestamp``.
    """
    fields: dict[str, Any] = {"context": {"device": {"token": device.take(token_key), "type": device.take("platform")}}}
    attributes = device.node("attributes")
    if attributes is not None:
        attributes.drop("_last_status", "read-only", "the device's last delivery status is set by Customer.io")
        fields["properties"] = attributes.rest()
    last_used = take_pipelines_time(ctx, device, "last_used")
    if last_used is not None:
        fields["timestamp"] = last_used
    return fields


def blank_user_id(node: Node, instead: str) -> None:
    """A ``userId`` that names nobody (blank), if there is one: reported as ignored. (A ``null`` one never
    reaches a converter: it says there is no userId.)"""
    node.drop("userId", "ignored", f"a blank userId names nobody; {instead}")


def present(value: Any) -> bool:
    """A string that is not empty or blank (an identifier that can name someone)."""
    return isinstance(value, str) and value.strip() != ""


def read_back_as(ctx: Context, node: Node, before: str, after: str) -> None:
    """Record that this operation reads back from the target as ``after`` (a change of reason ``shape``)."""
    ctx.change(node.pointer, before, after, "shape")


def implied(ctx: Context, node: Node, key: str) -> None:
    """``node[key]`` (if present) is said by the target's route or action: used, and reported as ``implied``."""
    if key in node:
        ctx.change(node.at(key), node.take(key), None, "implied")


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: ``1``, ``1.0`` and ``true`` differ (Python's ``==`` calls them equal)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def take_created_at(ctx: Context, traits: Node | None) -> int | None:
    """``traits.createdAt`` (ISO 8601) as the Track ``created_at`` in Unix seconds, taken; None when absent.

    A ``traits.created_at`` in Unix seconds comes first, as Customer.io's own
    destination reads it first: then None is returned (``created_at`` goes
    through as the attribute it is), and ``createdAt`` is used when it is the
    same second, or reported as a ``conflict``.
    """
    if traits is None or "createdAt" not in traits:
        return None
    own = traits.peek("created_at")
    if not is_whole_number(own):
        return take_track_time(ctx, traits, "createdAt")
    try:
        same = _to_ms(traits.peek("createdAt"), "s", False) // 1000 == int(own)
    except InvalidTimestampError:
        same = False
    if same:
        take_track_time(ctx, traits, "createdAt")  # the same moment: sub-second digits still reported
    else:
        traits.drop("createdAt", "conflict", "traits.created_at sets created_at (Customer.io reads it first)")
    return None


#: The metrics Track v2's ``delivery/event`` records.
V2_METRICS = ("opened", "converted", "delivered")


def _is_email_address(token: Any) -> bool:
    """A delivery recipient that the identifier rule reads as an email address (and so no device token)."""
    return isinstance(token, str) and classify(token)[0] == "email"


def v2_delivery_event(ctx: Context, delivery_id: Any, metric: Any, token: Any, names: tuple[str, str, str]) -> Request:
    """A Track v2 ``delivery/event``; unsupported when v2 cannot record it.

    ``names`` are the source's names of the delivery id, the metric and the
    recipient, for the messages. v2 records only :data:`V2_METRICS`, and only
    for a push device: a recipient that is an email address is no device token.
    """
    id_name, metric_name, token_name = names
    keep = "Keep reporting it through Pipelines or Track v1 POST /api/v1/metrics"
    if metric not in V2_METRICS:
        shown = f"{metric!r}" if metric is not None else f"a delivery without {metric_name}"
        raise ctx.unsupported(
            f"Track v2 delivery events record only {', '.join(V2_METRICS)}; {shown} has no Track v2 form. {keep}"
        )
    if not isinstance(delivery_id, str):
        raise ctx.unsupported(f"Track v2 delivery events need the delivery id, and there is no string {id_name}")
    if not isinstance(token, str):
        raise ctx.unsupported(
            "Track v2 delivery events are for push messages and need the device token (attributes.device_token); "
            f"there is no string {token_name}. {keep}"
        )
    if _is_email_address(token):
        raise ctx.unsupported(
            f"the {token_name} {token!r} is an email address, so this is not a push delivery; Track v2 delivery "
            f"events take a device token (attributes.device_token). {keep}"
        )
    return v2_request(
        "delivery", "event", identifiers={"id": delivery_id}, name=metric, attributes={"device_token": token}
    )


def note_email_device_token(ctx: Context, token: Any) -> None:
    """Warn when a v2 delivery event's device token is an email address (it will not convert back to v2)."""
    if _is_email_address(token):
        ctx.note(
            f"the device_token {token!r} is an email address, not a push device token: the output reports it as "
            "the recipient, and it will not convert back to a Track v2 delivery event"
        )
