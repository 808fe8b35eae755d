"""Strict JSON reading for request envelopes: one document, an array, or JSON Lines.

Python's ``json`` module accepts things no Customer.io endpoint does (``NaN``,
``Infinity``, duplicate keys where the last one silently wins, lone UTF-16
surrogates). :func:`loads` refuses each of them with an
:class:`~cio_schemas.errors.InvalidJSONError` naming the line and column, as
it does invalid UTF-8, a byte-order mark, empty input and truncated text.

:func:`iter_documents` reads a binary stream lazily and yields one entry per
envelope, so a bad line in a JSON Lines stream is reported and the others are
still read.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from .errors import InvalidArgumentError, InvalidJSONError

__all__ = ["loads", "iter_documents", "is_json_lines", "Document", "is_plain", "tuples_as_lists"]

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


class _Refused(ValueError):
    """A value the decoder's hooks refuse; :func:`_locate` finds where it is."""


def _reject_constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON (use null or a finite number)")


def _parse_float(literal: str) -> float:
    value = float(literal)
    if value in _INF:
        shown = literal if len(literal) <= 40 else literal[:37] + "..."
        raise _Refused(f"the number {shown} is too large for a finite float (use a smaller number or a string)")
    return value


# Outside strings, the tokens a hook may refuse: the constants and any number (and the opening quote of
# a string, whose inside the scan skips). Each alternative matches from its first character.
_TOKEN = re.compile(r'"|(?P<constant>NaN|-?Infinity)|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)', re.ASCII)
_STRING_STOP = re.compile(r'["\\]')

# A float literal only overflows (beyond 1.8e308) with an exponent of 100 or more, or else with over 200
# integer digits; text with neither is decoded once, without the per-float hook.
_MAYBE_HUGE = re.compile(r"[eE]\+?0*[1-9]\d\d|(?<!\d)\d{200}", re.ASCII)


def _locate(text: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the first token a hook refuses in ``text``, if one is found.

    The decoder reads the text in order and stops at the first refused token,
    so everything before it is valid JSON and the scan cannot be misled by it.
    Linear in time and constant in memory, whatever the length of the strings.
    """
    pos = 0
    while (m := _TOKEN.search(text, pos)) is not None:
        if m.group() == '"':
            stop = _STRING_STOP.search(text, m.end())
            while stop is not None and stop.group() == "\\":
                stop = _STRING_STOP.search(text, stop.end() + 1)
            if stop is None:
                return None
            pos = stop.end()
            continue
        number = m.group("number")
        if m.group("constant") is not None or (
            number is not None and not number.lstrip("-").isdigit() and float(number) in _INF
        ):
            return _line_column(text, m.start())
        pos = m.end()
    return None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r} in an object")
            seen.add(key)
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_reject_constant)
_CHECKED_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_float=_parse_float)


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a parsed value holds a lone surrogate in any string (iterative: any depth is safe)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _plain_str(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


#: A backslash escape: ``\uXXXX`` (its hex digits captured) or any other (an escaped backslash among them).
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.S)


def _line_column(text: str, at: int) -> tuple[int, int]:
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _lone_escape_at(text: str) -> int | None:
    """Where the first lone surrogate escape starts: a high one not followed at once by a low one, or a low
    one not right after a high one. One pass over the escapes, in order, so that an escaped backslash
    before a ``u`` is never read as the start of an escape."""
    high: tuple[int, int] | None = None  # (start, end) of a high surrogate escape waiting for its low one
    for found in _ESCAPE.finditer(text):
        code = int(found.group(1), 16) if found.group(1) is not None else None
        if high is not None:
            if code is not None and 0xDC00 <= code <= 0xDFFF and found.start() == high[1]:
                high = None
                continue
            return high[0]
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high = (found.start(), found.end())
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            return found.start()
    return high[0] if high is not None else None


def loads(data: str | bytes, *, line: int | None = None) -> Any:
    """Parse one JSON document strictly; ``line`` offsets reported line numbers (1-based)."""
    if line is not None and (type(line) is not int or line < 1):
        raise InvalidArgumentError(
            f"loads() takes line as a line number from 1, not {InvalidArgumentError.describe(line)}", "line", line
        )
    base = (line or 1) - 1
    if isinstance(data, (bytes, bytearray)):
        if data.startswith(b"\xef\xbb\xbf"):
            raise InvalidJSONError("input starts with a UTF-8 byte-order mark; save it without a BOM", base + 1, 1)
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            before = bytes(data)[: exc.start]
            ln = before.count(b"\n") + 1
            col = exc.start - (before.rfind(b"\n") + 1) + 1
            raise InvalidJSONError(f"invalid UTF-8 byte 0x{data[exc.start]:02x}", base + ln, col) from None
    elif isinstance(data, str):
        text = data
        if text.startswith("\ufeff"):
            raise InvalidJSONError("input starts with a byte-order mark; remove it", base + 1, 1)
        if not text.isascii() and not _plain_str(text):  # a lone surrogate itself, not escaped: no UTF-8 for it
            at = next(i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff")
            ln, col = _line_column(text, at)
            raise InvalidJSONError("the text holds a lone UTF-16 surrogate (U+D800-U+DFFF)", base + ln, col)
    else:
        raise InvalidJSONError(f"expected JSON text (str or bytes), not {type(data).__name__}")
    if not text.strip():
        raise InvalidJSONError("empty input: expected a JSON value", base + 1, 1)
    try:
        value = (_CHECKED_DECODER if _MAYBE_HUGE.search(text) else _DECODER).decode(text)
    except json.JSONDecodeError as exc:
        msg, lineno, colno = _explain(exc.msg, text, exc.pos), exc.lineno, exc.colno
        end = len(text.rstrip())
        if exc.pos >= end:
            # Point just after the last character, not into the whitespace (a line's own newline) after it.
            msg = "truncated JSON: " + msg
            lineno, colno = _line_column(text, end)
        raise InvalidJSONError(msg, base + lineno, colno) from None
    except _Refused as exc:  # from our hooks: NaN/Infinity, numbers beyond a float
        where = _locate(text)
        if where is None:  # pragma: no cover - the scan finds every token the hooks refuse
            raise InvalidJSONError(str(exc), base + 1) from None
        raise InvalidJSONError(str(exc), base + where[0], where[1]) from None
    except ValueError as exc:  # from our hooks: duplicate keys; from int(): more digits than Python reads
        message = str(exc)
        if "integer string conversion" in message:
            limit = sys.get_int_max_str_digits()
            message = f"an integer of more than {limit} digits, which no Customer.io field takes; send it as a string"
            digits = re.search(rf"\d{{{limit + 1},}}", text)
            if digits is not None:
                ln, col = _line_column(text, digits.start())
                raise InvalidJSONError(message, base + ln, col) from None
        raise InvalidJSONError(message, base + 1) from None
    except RecursionError:
        raise InvalidJSONError("nested too deeply to parse", base + 1, 1) from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        message = "a string contains a lone UTF-16 surrogate escape (\\ud800-\\udfff)"
        escape = _lone_escape_at(text)
        if escape is None:  # pragma: no cover - the value holds one, so the text has its escape
            raise InvalidJSONError(message, base + 1)
        ln, col = _line_column(text, escape)
        raise InvalidJSONError(message, base + ln, col)
    return value


def _explain(message: str, text: str, pos: int) -> str:
    """The decoder's ``message`` with what most likely caused it, where that is clear."""
    found = text[pos : pos + 1]
    after_comma = text[:pos].rstrip().endswith(",")
    if message == "Extra data":
        if found == "\x00":
            return "Extra data: a NUL byte after the JSON value"
        if found in ("]", "}"):
            return f"Extra data: an unmatched {found!r} after the JSON value"
        return "Extra data: a second JSON value follows the first; give one request per line, or an array of them"
    if message == "Expecting value" and found:
        shown = "a NUL byte" if found == "\x00" else repr(found)
        hint = " (a trailing comma?)" if found in "]}" and after_comma else ""
        return f"Expecting value: found {shown}{hint}"
    if message.startswith("Expecting property name") and found == "}" and after_comma:
        return message + " (a trailing comma?)"
    if message.startswith("Expecting property name") and found == "'":
        return message + " (JSON keys take double quotes, not single)"
    return message


@dataclass(frozen=True)
class Document:
    """One envelope read from a stream: its 1-based ``line``, its ``index`` in an array
    (None outside arrays), and either its ``value`` or the ``error`` that stopped it."""

    line: int
    index: int | None
    value: Any = None
    error: InvalidJSONError | None = None


def _expand(value: Any, line: int) -> Iterator[Document]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield Document(line, i, item)
    else:
        yield Document(line, None, value)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    """The position after the JSON whitespace at ``at``."""
    found = _SPACE.match(text, at)
    return found.end() if found is not None else at


def _element_lines(data: bytes, start: int, count: int) -> list[int] | None:
    """The line each of the ``count`` elements of the JSON array ``data`` (already read) starts on, counting
    from ``start``; None if they cannot be told. One linear pass over the text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder()
    at = _skip_space(text, 0)
    if text[at : at + 1] != "[":
        return None
    at += 1
    line, counted = start + text.count("\n", 0, at), at
    lines: list[int] = []
    for _ in range(count):
        at = _skip_space(text, at)
        line += text.count("\n", counted, at)
        counted = at
        lines.append(line)
        try:
            at = decoder.raw_decode(text, at)[1]
        except ValueError:
            return None
        at = _skip_space(text, at)
        if text[at : at + 1] == ",":
            at += 1
    return lines


def _documents_by_line(lines: Iterable[bytes], first: int) -> Iterator[Document]:
    """Each non-blank line as a document (or its error), numbered from line ``first`` (read lazily)."""
    for offset, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            value = loads(raw, line=first + offset)
        except InvalidJSONError as exc:
            yield Document(first + offset, None, error=exc)
            continue
        yield from _expand(value, first + offset)


def is_json_lines(first: bytes, *, line: int = 1) -> bool:
    """Whether a text whose first non-blank line is ``first`` (at ``line``) is read as JSON Lines: when that
    line is JSON on its own. Otherwise the whole text is read as one document (pretty-printed JSON, an
    array spread over lines), and only if it is not one are its lines read one by one."""
    try:
        loads(first, line=line)
    except InvalidJSONError:
        return False
    return True


def _opens_pretty(first: bytes) -> bool:
    """A first line that opens a document spread over lines (after a byte-order mark, which is reported): only
    ``[`` or ``{``, or an array or object whose first member ends the line with a comma (a JSON Lines line
    never ends so)."""
    line = first.removeprefix(b"\xef\xbb\xbf").strip()
    return line in (b"[", b"{") or (line[:1] in (b"[", b"{") and line.endswith(b","))


def iter_documents(stream: IO[bytes]) -> Iterator[Document]:
    """Yield the envelopes of a binary stream holding JSON Lines, one JSON document, or a JSON array.

    When the first non-blank line is JSON on its own (:func:`is_json_lines`),
    the text is JSON Lines, read lazily, one line at a time (constant memory);
    a line that holds an array yields each element with its index. Otherwise
    the text is read whole as one document (pretty-printed JSON; each element
    of an array spread over lines is located at the line it starts on). When
    it is not one document either, and other lines are JSON on their own (and
    the text does not open with a line holding only ``[`` or ``{``, as
    pretty-printed JSON does), every line is read as a document or an error of
    its own.
    """
    if isinstance(stream, (str, bytes, bytearray)) or not hasattr(stream, "__iter__"):
        raise InvalidArgumentError(
            "iter_documents() takes a binary stream (open(path, 'rb'), sys.stdin.buffer or io.BytesIO(data)), "
            f"not {InvalidArgumentError.describe(stream)}; for text already in memory use loads()",
            "stream",
            stream,
        )
    lines_in = iter(stream)  # once: a list of lines must not be read from its start twice
    lineno = 0
    for raw in lines_in:
        if not isinstance(raw, (bytes, bytearray)):
            raise InvalidArgumentError(
                "iter_documents() takes a binary stream, and this one yields text: open it with 'rb' "
                "(or pass sys.stdin.buffer)",
                "stream",
                stream,
            )
        lineno += 1
        if raw.strip() or (lineno == 1 and raw.startswith(b"\xef\xbb\xbf")):
            break
    else:
        yield Document(1, None, error=InvalidJSONError("empty input: expected JSON or JSON Lines", 1, 1))
        return
    first, start = raw, lineno
    try:
        value = loads(first, line=start)  # JSON on its own: JSON Lines (the rule is_json_lines states)
    except InvalidJSONError:
        yield from _whole_document(first, first + b"".join(lines_in), start)
        return
    yield from _expand(value, start)
    yield from _documents_by_line(lines_in, start + 1)


def _whole_document(first: bytes, text: bytes, start: int) -> Iterator[Document]:
    """The documents of a ``text`` whose ``first`` line (at ``start``) is not JSON on its own: one document, read
    whole; if it is not one, and it does not open like a document spread over lines, the lines that are
    JSON of their own (JSON Lines whose first lines are broken), every line read and reported on its own."""
    try:
        value = loads(text, line=start)
    except InvalidJSONError as exc:
        # Not one document. Unless it opens like a pretty-printed one (a line holding only "[" or
        # "{"), if other lines are JSON of their own this is JSON Lines whose first lines are broken:
        # every line is then read, and every error reported, on its own (as `convert -j N` does).
        lines = [] if _opens_pretty(first) else list(_documents_by_line(text.split(b"\n"), start))
        if any(d.error is None for d in lines):
            yield from lines
        else:
            yield Document(exc.line or start, None, error=exc)
        return
    if isinstance(value, list) and b"\n" in text:
        starts = _element_lines(text, start, len(value))
        if starts is not None:  # each element of a pretty-printed array at the line it starts on
            for i, (line, item) in enumerate(zip(starts, value, strict=True)):
                yield Document(line, i, item)
            return
    yield from _expand(value, start)


#: How deep a body may nest (objects and arrays). Customer.io payloads are shallow;
#: the bound keeps every recursive step of validation and conversion safe.
MAX_DEPTH = 64

#: The largest integer a body may hold, in bits (about 4,200 decimal digits): Python
#: refuses to print longer ones, and Customer.io reads numbers as 64-bit values anyway.
MAX_INT_BITS = 14_000


def json_problems(value: Any, max_depth: int = MAX_DEPTH) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """Yield ``(path, message, value)`` for everything in a Python value that is not plain JSON.

    Plain JSON means: dicts with ``str`` keys, lists (tuples are accepted as
    lists), ``str`` without lone surrogates, ``int`` up to :data:`MAX_INT_BITS`, finite ``float``, ``bool``
    and ``None``, nested at most ``max_depth`` levels. The walk is iterative, so
    any depth of input is safe to inspect.
    """
    if _is_plain(value, max_depth):
        return
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if item.bit_length() > MAX_INT_BITS:
                yield path, f"an integer of {item.bit_length()} bits is too large to write as JSON", None
            continue
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                yield path, "string contains a lone UTF-16 surrogate", item
            continue
        if isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                yield path, f"{item!r} is not a JSON number (use null or a finite number)", item
            continue
        if isinstance(item, (dict, list, tuple)):
            if len(path) >= max_depth:
                yield path, f"nested deeper than {max_depth} levels", None
                continue
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, str):
                        yield path, f"object key {key!r} is not a string", key
                        continue
                    if not _plain_str(key):
                        yield path, "object key contains a lone UTF-16 surrogate", key
                        continue
                    stack.append(((*path, key), sub))
            else:
                stack.extend(((*path, i), sub) for i, sub in enumerate(item))
            continue
        yield path, f"a {type(item).__name__} is not a JSON value", item


_INF = (float("inf"), float("-inf"))


def _plain_str(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_plain(value: Any, max_depth: int) -> bool:
    """Fast yes/no form of :func:`json_problems` (no paths): the common case costs one cheap pass.

    True only for exact ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``;
    a tuple or a subclass answers False, and the caller's iterative walk decides.
    Recursive, but never deeper than ``max_depth`` (a container that deep, or a
    cycle, answers False at once and the caller's iterative walk explains why).
    """
    kind = type(value)
    if kind is dict or kind is list:
        return _plain_container(value, 0, max_depth)
    return _plain_container((value,), -1, max_depth)


def _plain_container(item: Any, depth: int, max_depth: int) -> bool:
    if depth >= max_depth:
        return False
    if type(item) is dict:
        for key in item:
            if type(key) is not str or not (key.isascii() or _plain_str(key)):
                return False
        children = item.values()
    else:
        children = item
    for sub in children:
        kind = type(sub)
        if kind is str:
            if not (sub.isascii() or _plain_str(sub)):
                return False
        elif kind is dict or kind is list:
            if not _plain_container(sub, depth + 1, max_depth):
                return False
        elif kind is int:
            if sub.bit_length() > MAX_INT_BITS:
                return False
        elif kind is float:
            if sub != sub or sub in _INF:
                return False
        elif kind is not bool and sub is not None:
            return False
    return True


def is_plain(value: Any) -> bool:
    """True when ``value`` is plain JSON made only of exact ``dict``, ``list``, ``str``, ``int``, ``float``,
    ``bool`` and ``None`` (one fast pass; False for a tuple or a subclass, which :func:`json_problems`
    may still accept)."""
    return _is_plain(value, MAX_DEPTH)


def tuples_as_lists(value: Any) -> Any:
    """``value`` with every tuple in it made a list (copy on write: a value without tuples is returned as it is).

    For plain JSON values (see :func:`json_problems`): code that reads JSON
    arrays as ``list`` can then take a body built with tuples. Values that are
    only plain JSON (exact dicts and lists, no tuple) cost one fast pass.
    """
    if _is_plain(value, MAX_DEPTH):
        return value
    return _as_lists(value)


def _as_lists(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_as_lists(v) for v in value]
    if isinstance(value, list):
        items = [_as_lists(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        pairs = {k: _as_lists(v) for k, v in value.items()}
        return value if all(pairs[k] is v for k, v in value.items()) else pairs
    return value
