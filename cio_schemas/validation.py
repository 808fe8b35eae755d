"""Validate requests against the shipped schemas: ``iter_errors`` / ``validate`` / ``is_valid``.

The route picks the schema; inside a Track v2 body the ``type`` + ``action``
pick the operation's schema, inside a Pipelines ``/track`` the ``event`` picks a
semantic event's schema, and every batch item is checked against the schema
its own ``type`` (and ``action`` or ``event``) selects. So a problem names the
rule it broke at its own location (``/batch/3/userId``), never "not valid under
any of the given schemas".

A body that is not plain JSON (non-string keys, NaN, lone surrogates, sets,
nesting deeper than :data:`~cio_schemas.jsonio.MAX_DEPTH`) gets problems with
the keyword ``json`` and is not checked further.

Path parameters are checked too (Track ids are at most 150 bytes, segment ids
are integers); their problems carry the pointer ``""`` and the keyword ``path``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jsonschema import ValidationError

from ._field_limits import ID_BYTES
from .catalog import PIPELINES_CALLS, SEMANTIC_EVENTS, V2_OPERATIONS, Route
from .errors import (
    InvalidArgumentError,
    InvalidPayloadError,
    InvalidRequestError,
    InvalidTimestampError,
    Problem,
    UnknownRouteError,
    abridge,
    pointer_from_parts,
)
from .jsonio import json_problems
from .registry import SchemaRegistry, _registry, json_byte_length
from .request import Request
from .timestamps import is_iso_timestamp, to_iso, to_unix

__all__ = ["iter_errors", "validate", "is_valid", "best_match", "item_schema", "track_schema"]

_ID_PARAMS = ("identifier",)
_NONEMPTY_PARAMS = ("identifier", "device_id", "delivery_id", "form_id", "segment_id")


def item_schema(api: str, item: Any) -> str | None:
    """The schema name a single call / operation / batch item selects, or None if it selects none.

    ``api`` is ``"track-v2"`` (selects by ``type`` + ``action``) or
    ``"pipelines"`` (selects by ``type``, then ``event`` for track calls).
    """
    if not isinstance(item, Mapping):
        return None
    if api == "track-v2":
        t, a = item.get("type"), item.get("action")
        if isinstance(t, str) and isinstance(a, str):
            return V2_OPERATIONS.get((t, a))
        return None
    kind = item.get("type")
    if not isinstance(kind, str):
        return None
    if kind == "track":
        return track_schema(item)
    return PIPELINES_CALLS.get(kind)


def track_schema(body: Mapping[str, Any]) -> str:
    """The schema name a Pipelines ``/track`` body selects by its ``event`` (a semantic event's, or custom)."""
    event = body.get("event")
    if isinstance(event, str) and event in SEMANTIC_EVENTS:
        return SEMANTIC_EVENTS[event]
    return "pipelines/track_event"


_MISSING: Any = object()

#: The longest problem message: jsonschema writes the whole offending value into its messages.
_MESSAGE_LIMIT = 200


def _short_message(message: str, instance: Any) -> str:
    """``message`` with the offending value abridged, cut in the middle if still too long (the rule stays named)."""
    if len(message) <= _MESSAGE_LIMIT:
        return message
    try:
        shown = repr(instance)
    except (ValueError, RecursionError):  # an int too long to print
        shown = ""
    if len(shown) > 40 and shown in message:
        message = message.replace(shown, abridge(instance, 60))
    if len(message) > _MESSAGE_LIMIT:
        half = (_MESSAGE_LIMIT - 1) // 2
        message = message[:half] + "…" + message[-half:]
    return message


def _problem(error: ValidationError, schema: str, prefix: tuple[str | int, ...]) -> Problem:
    keyword = str(error.validator)
    message = _short_message(error.message, error.instance)
    if keyword in ("anyOf", "oneOf") and error.context:
        missing = [e for e in error.context if e.validator == "required" and not e.relative_path]
        if len(missing) == len(error.context):
            names: list[str] = []
            present = error.instance if isinstance(error.instance, Mapping) else {}
            for e in missing:
                for n in e.validator_value:  # type: ignore[union-attr]
                    if n not in names and n not in present:
                        names.append(n)
            keyword = "required"
            message = "needs one of " + ", ".join(repr(n) for n in names)
            spelled = _spelled_otherwise(names, present)
            if spelled:
                message = f"{message}; {spelled}"
        else:
            deepest = max(error.context, key=lambda e: (len(e.relative_path), -len(e.schema_path)))
            if deepest.relative_path:
                return _problem(deepest, schema, prefix)
    if keyword == "format":
        message = _format_message(error)
    hint = _hint(keyword, error)
    if hint:
        message = f"{message}; {hint}"
    return Problem(
        pointer=pointer_from_parts(prefix + tuple(error.absolute_path)),
        keyword=keyword,
        message=message,
        value=error.instance,
        schema=schema,
        schema_path=tuple(error.schema_path),
    )


_FORMATS = {
    "email": "an email address (it needs an @)",
    "date-time": "an RFC 3339 date-time such as 2024-01-02T03:04:05.000Z",
}


def _format_message(error: ValidationError) -> str:
    """``'nobody' is not an email address …`` instead of jsonschema's ``'nobody' is not a 'email'``."""
    wanted = _FORMATS.get(str(error.validator_value), f"a valid {error.validator_value}")
    return f"{abridge(error.instance, 60)} is not {wanted}"


def _spelled_otherwise(names: Iterable[str], present: Mapping[str, Any]) -> str:
    """``found 'user_id' (the key is 'userId')`` when a key present is a missing name in another spelling."""

    def plain(key: object) -> str:
        return str(key).replace("_", "").replace("-", "").casefold()

    for name in names:
        for key in present:
            if key != name and plain(key) == plain(name):
                return f"found {key!r} (the key is {name!r})"
    return ""


def _hint(keyword: str, error: ValidationError) -> str:
    """How to fix the common mistakes behind a problem (empty when there is nothing to add)."""
    value, expected = error.instance, error.validator_value
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)  # type: ignore[arg-type]
        if "integer" in types and isinstance(value, str) and is_iso_timestamp(value):
            try:
                seconds = to_unix(value)
            except InvalidTimestampError:
                return "Track takes timestamps as Unix seconds (cio_schemas.timestamps.to_unix)"
            return f"Track takes timestamps as Unix seconds: {seconds} (cio_schemas.timestamps.to_unix)"
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (
            numeric
            and "string" in types
            and isinstance(error.schema, Mapping)
            and error.schema.get("format") == "date-time"
        ):
            try:
                text = to_iso(value)
            except InvalidTimestampError:
                return "Pipelines takes timestamps as ISO 8601 strings (cio_schemas.timestamps.to_iso)"
            return f"Pipelines takes timestamps as ISO 8601 strings: {text!r} (cio_schemas.timestamps.to_iso)"
        if isinstance(value, list) and types == ["object"]:
            return "send one JSON object per request (several items go in a batch, one per line with the CLI)"
        if isinstance(value, (dict, list)) and "object" not in types and "array" not in types:
            return "nested values are not allowed here: flatten them (a.b keys) or send them as Track v2 attributes"
    if keyword in ("enum", "const") and isinstance(value, str):
        options = [o for o in (expected if keyword == "enum" else [expected]) if isinstance(o, str)]  # type: ignore[union-attr]
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
        if not close:
            close = [o for o in options if o.lower() == value.lower()]
        if close and close[0] != value:
            return f"did you mean {close[0]!r}?"
    if keyword == "maxProperties" and expected == 1 and isinstance(value, Mapping):
        return f"give only one of them; found {len(value)}: {', '.join(repr(k) for k in list(value)[:5])}"
    if keyword == "maxProperties" and isinstance(value, Mapping):
        return f"it has {len(value)} keys; at most {expected} are allowed"
    if keyword == "maxItems" and isinstance(value, list):
        return f"it has {len(value)} items; at most {expected} are allowed"
    if keyword == "required" and isinstance(error.schema, Mapping):
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else ""
        spelled = _spelled_otherwise([missing], value if isinstance(value, Mapping) else {})
        if spelled:
            return spelled
        prop = (error.schema.get("properties") or {}).get(missing)
        allowed = prop.get("enum") if isinstance(prop, Mapping) else None
        if isinstance(allowed, list) and allowed:
            return "one of " + ", ".join(repr(a) for a in allowed[:12]) + (" …" if len(allowed) > 12 else "")
    return ""


def _schema_errors(
    reg: SchemaRegistry, name: str, instance: Any, prefix: tuple[str | int, ...] = (), pointer: str = ""
) -> Iterator[Problem]:
    fast = reg.fast_validator(name, pointer)
    if fast is not None and fast.is_valid(instance):
        return
    validator = reg.validator(name, pointer)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
    label = name + ("#" + pointer if pointer else "")
    # One rule reached through several branches (each if/then of an allOf, a property checked both
    # directly and inside a conditional) is reported once, at its first schema path.
    seen: set[tuple[str, str, str]] = set()
    found: list[Problem] = []
    for error in errors:
        problem = _problem(error, label, prefix)
        key = (problem.pointer, problem.keyword, problem.message)
        if key not in seen:
            seen.add(key)
            found.append(problem)
    yield from _one_per_rule(found)


def _one_per_rule(problems: list[Problem]) -> list[Problem]:
    """One problem per value and rule: of several ``type`` problems at one pointer (one value checked
    through several branches) the one naming the most types, and no ``minProperties`` where a ``required``
    problem already says what an empty object needs."""
    by_pointer: dict[str, list[Problem]] = {}
    for p in problems:
        by_pointer.setdefault(p.pointer, []).append(p)
    drop: set[int] = set()
    for same in by_pointer.values():
        types = [p for p in same if p.keyword == "type"]
        if len(types) > 1:
            keep = max(types, key=lambda p: len(p.message))
            drop.update(id(p) for p in types if p is not keep)
        if any(p.keyword == "required" for p in same):
            drop.update(id(p) for p in same if p.keyword == "minProperties")
    return [p for p in problems if id(p) not in drop]


def _items(reg: SchemaRegistry, route: Route, body: Any) -> Iterator[Problem]:
    items = body.get("batch") if isinstance(body, Mapping) else None
    yield from _envelope(reg, route, body)
    if not isinstance(items, (list, tuple)):
        return
    verdicts: dict[str, Any] = {}  # schema name → its fast validator (or None), looked up once per batch
    for index, item in enumerate(items):
        name = item_schema(route.api, item)
        if name is not None:
            fast = verdicts.get(name, _MISSING)
            if fast is _MISSING:
                fast = verdicts[name] = reg.fast_validator(name)
            if fast is not None and fast.is_valid(item):
                continue  # the common case, without a generator per item
        prefix: tuple[str | int, ...] = ("batch", index)
        if name is None:
            # The dispatching subschema explains what is missing or unknown.
            yield from _schema_errors(reg, route.schema, item, prefix, "/properties/batch/items")
        else:
            yield from _schema_errors(reg, name, item, prefix)


def _envelope(reg: SchemaRegistry, route: Route, body: Any) -> Iterator[Problem]:
    fast = reg.fast_validator(route.schema, shallow="batch")
    if fast is not None and fast.is_valid(body):
        return
    validator = reg.shallow_validator(route.schema, "batch")
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        yield _problem(error, route.schema, ())


def _path_problems(route: Route, params: Mapping[str, str]) -> Iterator[Problem]:
    for key, value in params.items():
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                yield Problem(
                    "",
                    "path",
                    f"path parameter {key!r} holds a lone UTF-16 surrogate, which no URL can carry",
                    value,
                    "route",
                )
                continue
        if key in _NONEMPTY_PARAMS and not value.strip():
            yield Problem("", "path", f"path parameter {key!r} must not be empty", value, "route")
        if key in _ID_PARAMS and json_byte_length(value) > ID_BYTES:
            yield Problem(
                "",
                "path",
                f"path parameter {key!r} is {json_byte_length(value)} bytes long; "
                f"the limit is {ID_BYTES} bytes (UTF-8)",
                value,
                "route",
            )
        if key == "segment_id" and not (value.isascii() and value.isdigit() and int(value) < 2**31):
            yield Problem(
                "", "path", f"path parameter 'segment_id' must be a 32-bit integer, not {value!r}", value, "route"
            )


def _body_problems(reg: SchemaRegistry, route: Route, body: Any) -> Iterator[Problem]:
    if route.batch:
        yield from _items(reg, route, body)
    elif route.api == "track-v2":
        name = item_schema("track-v2", body)
        yield from _schema_errors(reg, name or route.schema, body)
    elif route.api == "pipelines" and route.operation == "track":
        yield from _schema_errors(reg, track_schema(body) if isinstance(body, Mapping) else route.schema, body)
    else:
        yield from _schema_errors(reg, route.schema, body)


def iter_errors(request: Request) -> Iterator[Problem]:
    """Yield every :class:`~cio_schemas.errors.Problem` with ``request`` (nothing if it is valid).

    A path no client can send (a malformed ``%`` escape, a ``.`` or ``..``
    identifier) is a problem of keyword ``path``. Raises
    :class:`~cio_schemas.errors.UnknownRouteError` if no route matches, and
    :class:`~cio_schemas.errors.InvalidArgumentError` for anything but a :class:`~cio_schemas.request.Request`.
    """
    if not isinstance(request, Request):
        raise InvalidArgumentError.not_a_request("iter_errors", request)
    return _problems(request)


def _problems(request: Request, plain: bool = False) -> Iterator[Problem]:
    """:func:`iter_errors` without its argument check; ``plain=True`` when the body is known to be plain JSON."""
    try:
        route = request.route
    except UnknownRouteError:
        raise
    except InvalidRequestError as exc:  # a path no client can send (%ZZ, a dot-segment): a problem of the request
        yield Problem("", "path", str(exc), request.path, "route")
        return
    reg = _registry()
    yield from _path_problems(route, request.params)
    if not plain:
        not_json = [
            Problem(pointer_from_parts(path), "json", message, value, "json")
            for path, message, value in json_problems(request.body)
        ]
        if not_json:
            yield from not_json
            return
    yield from _body_problems(reg, route, request.body)


def validate(request: Request) -> None:
    """Raise :class:`~cio_schemas.errors.InvalidPayloadError` holding every problem, if any."""
    if not isinstance(request, Request):
        raise InvalidArgumentError.not_a_request("validate", request)
    check(request)


def check(request: Request, plain: bool = False) -> None:
    """:func:`validate` for a caller that has checked its argument, and with ``plain=True`` its body too
    (:func:`~cio_schemas.jsonio.is_plain`): the plain-JSON pass is then not made twice."""
    problems = list(_problems(request, plain))
    if problems:
        raise InvalidPayloadError(problems, route=f"{request.method} {request.path}")


def is_valid(request: Request) -> bool:
    """True when ``request`` has no problem at all."""
    if not isinstance(request, Request):
        raise InvalidArgumentError.not_a_request("is_valid", request)
    return next(iter_errors(request), None) is None


def best_match(problems: Iterable[Problem]) -> Problem | None:
    """The most specific problem (deepest pointer first), or None for none."""
    if isinstance(problems, (str, bytes, Mapping)) or not isinstance(problems, Iterable):
        raise InvalidArgumentError(
            f"best_match() takes the problems of iter_errors(request), not {InvalidArgumentError.describe(problems)}",
            "problems",
            problems,
        )
    best: Problem | None = None
    for p in problems:
        if not isinstance(p, Problem):
            raise InvalidArgumentError(
                f"best_match() takes Problem values, not {InvalidArgumentError.describe(p)}", "problems", p
            )
        if best is None or p.pointer.count("/") > best.pointer.count("/"):
            best = p
    return best
