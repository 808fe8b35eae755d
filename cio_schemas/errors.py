"""Every exception cio-schemas raises.

All of them derive from one base, :class:`CioSchemasError`, and also from the
built-in exception a caller would reach for (``ValueError``, ``LookupError`` or
``TypeError``),
so ``except ValueError`` keeps working and ``except CioSchemasError`` catches
everything this library raises::

    CioSchemasError
    ├── UnknownRouteError            (+ LookupError)   no route for method + path
    ├── NoSuchSchemaError            (+ LookupError)   no schema by that name
    ├── InvalidRequestError          (+ ValueError)    the envelope itself is malformed
    │   └── InvalidArgumentError     (+ TypeError)     an argument of the wrong type, or an unknown option
    ├── InvalidJSONError             (+ ValueError)    bytes/text that are not acceptable JSON
    ├── InvalidPayloadError          (+ ValueError)    the body breaks its schema (all problems)
    ├── InvalidTimestampError        (+ ValueError)    a value that is not a usable timestamp
    ├── PayloadTooLargeError         (+ ValueError)    a body over its byte limit
    ├── UnsupportedConversionError   (+ ValueError)    no counterpart in the target API
    └── LossyConversionError         (+ ValueError)    strict mode refused to drop values

Errors are data: each carries the values that explain it (JSON pointers,
limits, the offending value), and ``str()`` says how to fix the input.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .conversion import Loss

__all__ = [
    "CioSchemasError",
    "UnknownRouteError",
    "NoSuchSchemaError",
    "InvalidRequestError",
    "InvalidArgumentError",
    "InvalidJSONError",
    "InvalidPayloadError",
    "InvalidTimestampError",
    "PayloadTooLargeError",
    "UnsupportedConversionError",
    "LossyConversionError",
    "Problem",
    "abridge",
    "pointer_from_parts",
    "parts_from_pointer",
]


def pointer_from_parts(parts: Iterable[str | int]) -> str:
    """Render path parts as an RFC 6901 JSON pointer (``""`` is the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def parts_from_pointer(pointer: str) -> tuple[str, ...]:
    """Split an RFC 6901 JSON pointer into its (unescaped, string) reference tokens."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {pointer!r}")
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/"))


def abridge(value: Any, limit: int = 80) -> str:
    """A short, printable rendering of ``value`` for messages (never raises)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):  # e.g. an int too long to print
            text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request body.

    ``pointer`` is the RFC 6901 JSON pointer into the body (for a batch item it
    includes the item's index, e.g. ``/batch/3/userId``); ``keyword`` is the rule
    broken (a JSON Schema keyword such as ``required`` or ``type``, or one of
    cio-schemas' own: ``maxBytes``, ``path``, ``json``, and ``size`` from the
    command line's size check); ``message`` is a
    sentence for people; ``value`` is the offending value itself (use
    :func:`abridge` to print it); ``schema`` names the schema it came from.
    """

    pointer: str
    keyword: str
    message: str
    value: Any = None
    schema: str = ""
    schema_path: tuple[str | int, ...] = ()

    @property
    def json_path(self) -> str:
        """The same location as a JSONPath (``$.batch[3].userId``)."""
        out = "$"
        for part in parts_from_pointer(self.pointer):
            if part.isdigit():
                out += f"[{part}]"
            elif part.isidentifier():
                out += f".{part}"
            else:
                out += "[" + json.dumps(part, ensure_ascii=False) + "]"
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible form, as printed by the CLI's JSON reports."""
        return {
            "pointer": self.pointer,
            "path": self.json_path,
            "keyword": self.keyword,
            "message": self.message,
            "value": abridge(self.value),
            "schema": self.schema,
        }

    def __str__(self) -> str:
        where = self.pointer or ("(path)" if self.keyword == "path" else "(body)")
        return f"{where}: {self.message} [{self.keyword}]"


class CioSchemasError(Exception):
    """The base of every exception raised by cio-schemas."""


class UnknownRouteError(CioSchemasError, LookupError):
    """No Track v1, Track v2 or Pipelines route matches ``method`` + ``path``."""

    def __init__(self, method: str, path: str, known: Sequence[str] = ()) -> None:
        self.method = method
        self.path = path
        self.known = tuple(known)
        hint = ""
        if self.known:
            near = _nearest_routes(str(path), self.known, str(method).upper())
            if len(near) == len(self.known):
                hint = " Known routes: " + ", ".join(near)
            elif near:
                hint = f" Nearest known routes: {', '.join(near)} ({len(self.known)} in all: cio_schemas.ROUTES)"
            else:
                prefixes = dict.fromkeys(_prefix(r) for r in self.known)
                hint = f" Known paths start with {', '.join(prefixes)} ({len(self.known)} routes: cio_schemas.ROUTES)"
        what = f"{method} {path}" if method else str(path)
        super().__init__(f"no route for {what}.{hint}")


def _nearest_routes(path: str, known: Sequence[str], method: str = "", most: int = 8) -> list[str]:
    """The known routes (``"METHOD /path"``) sharing the most leading path segments with ``path``
    (among equals, those sharing later segments, then those spelled alike, then those of ``method``)."""
    if len(known) <= most:
        return list(known)
    parts = path.split("?", 1)[0].strip("/").split("/")

    def score(route: str) -> tuple[int, int, float]:
        """(leading segments shared, later segments shared, likeness of the first segment that differs):
        among the routes sharing the most leading segments, those that share later ones too (``entity`` in
        ``/api/v3/entity``), then those whose next segment is spelled alike (``customerz``), come first."""
        template = route.split(" ", 1)[-1].strip("/").split("/")
        n = 0
        for a, b in zip(parts, template, strict=False):
            if a != b and not b.startswith("{"):
                break
            n += 1
        alike = 0.0
        if n < len(parts) and n < len(template) and not template[n].startswith("{"):
            alike = round(difflib.SequenceMatcher(None, parts[n][:100], template[n]).ratio(), 1)
        return n, len(set(parts[n:]) & set(template[n:])), alike

    scores = [score(r) for r in known]
    best = max(s[0] for s in scores)
    if not best:
        return []
    ranked = sorted(
        (-s[1], -s[2], not known[i].startswith(method + " "), i) for i, s in enumerate(scores) if s[0] == best
    )
    return [known[i] for *_, i in ranked[:most]]


def _prefix(route: str) -> str:
    """``/api/v1/`` for ``PUT /api/v1/customers/{identifier}``, ``/v1/`` for ``POST /v1/track``: the path's
    fixed leading segments, at most two, never the last."""
    fixed = []
    for part in route.split(" ", 1)[-1].strip("/").split("/")[:-1][:2]:
        if part.startswith("{"):
            break
        fixed.append(part)
    return "/" + "".join(p + "/" for p in fixed)


class NoSuchSchemaError(CioSchemasError, LookupError):
    """No schema with that name or ``$id`` ships with cio-schemas."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no schema named {name!r}; `cio-schemas schemas` lists them")


class InvalidRequestError(CioSchemasError, ValueError):
    """The request envelope (``method``/``path``/``body``) is malformed."""

    def __init__(self, message: str, pointer: str = "") -> None:
        self.pointer = pointer
        super().__init__(message)


class InvalidArgumentError(InvalidRequestError, TypeError):
    """An argument cio-schemas cannot use: a value of the wrong type, or an option value it does not know.

    ``argument`` names the parameter, ``value`` holds what was passed. It is
    both a ``TypeError`` and (as an :class:`InvalidRequestError`) a ``ValueError``.
    """

    def __init__(self, message: str, argument: str = "", value: Any = None) -> None:
        self.argument = argument
        self.value = value
        super().__init__(message)

    @staticmethod
    def describe(value: Any) -> str:
        """How a passed value is shown in messages: its type and a short rendering (``None`` as is)."""
        return "None" if value is None else f"{type(value).__name__} {abridge(value, 40)}"

    @classmethod
    def not_a_request(cls, function: str, value: Any, argument: str = "request") -> InvalidArgumentError:
        """The error for anything but a :class:`~cio_schemas.request.Request` passed as ``argument``."""
        if isinstance(value, Mapping) and "method" in value and "path" in value:
            how = "build it with Request.from_json(...) from its JSON form"
        else:
            how = "build one with Request(method, path, body) or Request.from_json({...})"
        return cls(f"{function}() takes a Request as {argument!r}, not {cls.describe(value)}; {how}", argument, value)


class InvalidJSONError(CioSchemasError, ValueError):
    """Input that is not JSON cio-schemas accepts (with line and column, 1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        self.reason = message
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message)


class InvalidPayloadError(CioSchemasError, ValueError):
    """A request body breaks its schema. ``problems`` holds every problem found."""

    def __init__(self, problems: Sequence[Problem], route: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.route = route
        head = f"{route}: " if route else ""
        n = len(self.problems)
        part = "path" if all(p.keyword == "path" for p in self.problems) and n else "body"
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} in the request {part}"]
        lines += [f"  {p}" for p in self.problems[:20]]
        if n > 20:
            lines.append(f"  … and {n - 20} more")
        super().__init__("\n".join(lines))


class InvalidTimestampError(CioSchemasError, ValueError):
    """A value that cannot be read as a timestamp; ``value`` holds it."""

    def __init__(self, value: Any, reason: str, pointer: str | None = None) -> None:
        self.value = value
        self.reason = reason
        self.pointer = pointer
        where = f" at {pointer}" if pointer is not None else ""
        super().__init__(f"invalid timestamp {abridge(value)}{where}: {reason}")


class PayloadTooLargeError(CioSchemasError, ValueError):
    """A body (or batch item) is over its byte limit.

    ``size`` and ``limit`` are in bytes, ``scope`` names the limit
    (``"single"``, ``"batch"``, ``"item"``), ``items`` lists the offending
    batch item indexes (empty for a single request).
    """

    def __init__(self, size: int, limit: int, scope: str, items: Sequence[int] = (), route: str = "") -> None:
        self.size = size
        self.limit = limit
        self.scope = scope
        self.items = tuple(items)
        self.route = route
        head = f"{route}: " if route else ""
        extra = f" (items {', '.join(map(str, self.items))})" if self.items else ""
        super().__init__(
            f"{head}{scope} payload of {size} bytes is over the {limit}-byte limit{extra}; split it or remove data"
        )


class UnsupportedConversionError(CioSchemasError, ValueError):
    """The request has no counterpart in the target API; ``reason`` says why."""

    def __init__(self, route: str, target: str, reason: str) -> None:
        self.route = route
        self.target = target
        self.reason = reason
        super().__init__(f"cannot convert {route} to {target}: {reason}")


class LossyConversionError(CioSchemasError, ValueError):
    """Strict mode: the conversion would drop values; ``losses`` lists every one."""

    def __init__(self, losses: Sequence[Loss], route: str = "") -> None:
        self.losses = tuple(losses)
        self.route = route
        head = f"{route}: " if route else ""
        reasons = ", ".join(dict.fromkeys(loss.reason for loss in self.losses))
        lines = [f"{head}strict conversion refused: it would lose {len(self.losses)} value(s) ({reasons})"]
        lines += [f"  {loss}" for loss in self.losses[:20]]
        super().__init__("\n".join(lines))
