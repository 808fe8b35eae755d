"""Reading, writing and normalising Customer.io timestamps.

The Track API (v1 and v2) takes Unix **seconds** as integers (``1361205308``);
the Pipelines API takes ISO 8601 date-time strings down to milliseconds
(``2013-02-18T16:35:08.000Z``). :func:`to_unix` and :func:`to_iso` read any of
the forms below and write the one an API wants; they never look at the clock
and never guess a unit.

Accepted inputs
---------------
Numbers (``int`` or ``float``, never ``bool``)
    Unix seconds; with ``unit="ms"``, Unix milliseconds. A float is floored
    (toward the past: ``-0.5`` is ``-1``) to whole milliseconds by
    :func:`to_iso` and to whole seconds by :func:`to_unix`; float seconds are
    scaled to milliseconds in floating point first, so ``1361205308.722``
    keeps its ``.722`` although the float is slightly below it. NaN and infinities
    are rejected. The value must map to an instant from
    ``0001-01-01T00:00:00.000Z`` to ``9999-12-31T23:59:59.999Z``; a number
    outside that range is rejected (a millisecond epoch read as seconds lands
    far outside it, and the error says to pass ``unit="ms"``).

Strings, read fast (RFC 3339 and its common relatives)
    ``YYYY-MM-DD`` (a date alone: midnight UTC), or ``YYYY-MM-DD`` then ``T``,
    ``t`` or one space, then ``HH:MM``, optionally ``:SS``, optionally ``.``
    and one or more fractional digits (digits beyond microseconds are dropped),
    then optionally an offset: ``Z``, ``z``, ``+hh:mm``, ``+hhmm``, ``+hh``
    (or with ``-``). A date-time without an offset is UTC.

Strings, other ISO 8601 forms
    Anything else that :func:`dateutil.parser.isoparse` reads: the basic
    format (``20130218T163508Z``), week dates (``2013-W08-1``), ordinal dates
    (``2013-049``), a year and month (``2013-02``), a comma as the decimal
    sign, hour ``24:00``. Without an offset these are UTC too. Every field is
    ASCII digits only: whitespace, ``_`` or a sign inside or around a field is
    rejected, and the date and the time are separated by one character that
    is none of those (``T``, or a space).

Strings made only of digits (``"1361205308"``, ``"-1.5"``)
    Rejected unless ``numeric_strings=True``, in which case they are read as
    numbers in ``unit`` (exactly, without floating-point rounding). They are
    never read as basic-format dates. With whitespace around them
    (``" 1361205308"``) they are rejected in either case.

``datetime.datetime`` and ``datetime.date``
    An aware datetime is read in its own offset; a naive one is UTC; a date is
    midnight UTC.

Everything else (``None``, ``bool``, lists, dicts, ``Decimal`` …) is rejected
with :class:`~cio_schemas.errors.InvalidTimestampError`, whose ``reason`` says
how to fix the value. A leap second (``23:59:60``) and dates that do not exist
(``2023-02-30``) are rejected.

Output
------
:func:`to_iso` always writes ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, with the
milliseconds floored; :func:`to_unix` always returns an ``int``, floored to
whole seconds.

Request-level helpers
---------------------
:func:`normalize_request_timestamps` rewrites the timestamp fields of a request
body into its API's form; :func:`convert_iso_attributes` turns ISO 8601 strings
inside free attributes (traits, properties) into Unix seconds, the way
Customer.io treats Pipelines data. Both return a new value and a list of
:class:`TimestampChange` (JSON pointer, before, after), and never modify their
input.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from .errors import InvalidArgumentError, InvalidTimestampError, abridge, pointer_from_parts
from .jsonio import MAX_DEPTH

__all__ = [
    "Unit",
    "TimestampChange",
    "to_unix",
    "to_iso",
    "is_iso_timestamp",
    "normalize_request_timestamps",
    "convert_iso_attributes",
    "TRACK_TIMESTAMP_FIELDS",
    "PIPELINES_TIMESTAMP_FIELDS",
]

#: The unit a number is read in: Unix seconds or Unix milliseconds.
Unit = Literal["s", "ms"]

_UTC = _dt.timezone.utc
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_NAIVE.toordinal()

# The accepted range, 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z, in microseconds.
_MIN_US = (_dt.datetime(1, 1, 1) - _EPOCH_NAIVE) // _dt.timedelta(microseconds=1)
_MAX_US = (_dt.datetime(9999, 12, 31, 23, 59, 59, 999999) - _EPOCH_NAIVE) // _dt.timedelta(microseconds=1)
_MIN_MS = _MIN_US // 1000
_MAX_MS = _MAX_US // 1000
_MIN_S = _MIN_MS // 1000
_MAX_S = _MAX_MS // 1000

_RANGE = "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"
_EXAMPLES = "2013-02-18T16:35:08.000Z, 2013-02-18 16:35:08+01:00, 2013-02-18, or the number 1361205308"

# The hot path: RFC 3339 and its common relatives (see the module docstring).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)
# The matcher for free attribute values (Customer.io's "Convert Timestamps" shape).
_ISO_ATTRIBUTE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_NUMERIC = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
# The shapes left to dateutil's isoparse, every field ASCII digits: a date (calendar, year-month,
# year, week or ordinal; basic or extended), then optionally one separator, a time and an offset.
# isoparse reads each field with int(), which would also take whitespace, "_" or a sign around the
# digits (" 1361205308" read as the year 136), so the separator is never one of those but a space.
_ISO_SHAPE = re.compile(
    r"\d{4}(?:-\d{2}(?:-\d{2})?|\d{4}|-?W\d{2}(?:-?\d)?|-?\d{3})?"
    r"(?:(?:[^\d\s_+-]| )\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
_ONE_US = _dt.timedelta(microseconds=1)


# -- reading -------------------------------------------------------------------------------
def _error(value: object, reason: str, pointer: str | None = None) -> InvalidTimestampError:
    """The error for ``value``; safe for values too large to print (ints over 4300 digits)."""
    try:
        return InvalidTimestampError(value, reason, pointer)
    except ValueError:
        err = InvalidTimestampError("<a value too large to print>", reason, pointer)
        err.value = value
        return err


def _check_unit(value: object, unit: str) -> None:
    if not isinstance(unit, str) or unit not in ("s", "ms"):
        raise InvalidArgumentError(
            f"unit must be 's' (Unix seconds) or 'ms' (Unix milliseconds), not {InvalidArgumentError.describe(unit)}",
            "unit",
            unit,
        )


def _out_of_range(value: object, unit: str, ms: int | None = None) -> InvalidTimestampError:
    hint = ""
    if unit == "s" and ms is not None and ms > _MAX_MS and ms // 1000 <= _MAX_MS:
        # Too far in the future as seconds, and a date as milliseconds.
        hint = (
            "; it looks like Unix milliseconds, where Unix seconds are expected: divide it by 1000 (or pass unit='ms')"
        )
    return _error(value, f"outside the supported range {_RANGE}{hint}")


def _number_to_ms(value: int | float, unit: str) -> int:
    """Unix milliseconds (floored) from a number of seconds or milliseconds."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _error(value, "NaN and infinity are not timestamps; pass a finite number")
        # Guard before multiplying so that the product stays finite.
        bound = 1e16 if unit == "s" else 1e19
        if not -bound < value < bound:
            raise _out_of_range(value, unit)
        ms = math.floor(value * 1000) if unit == "s" else math.floor(value)
    else:
        ms = value * 1000 if unit == "s" else value
    if not _MIN_MS <= ms <= _MAX_MS:
        raise _out_of_range(value, unit, ms)
    return ms


def _numeric_string_to_ms(text: str, unit: str) -> int:
    whole = text.lstrip("+-").split(".")[0]
    if len(whole) > 20:
        raise _out_of_range(text, unit)
    exact = Fraction(text) * (1000 if unit == "s" else 1)
    ms = math.floor(exact)
    if not _MIN_MS <= ms <= _MAX_MS:
        raise _out_of_range(text, unit, ms)
    return ms


def _datetime_to_us(value: _dt.datetime) -> int:
    """Microseconds since the epoch of a datetime (naive = UTC), without overflow."""
    offset = value.utcoffset()
    seconds = (value.toordinal() - _EPOCH_ORDINAL) * 86400 + value.hour * 3600 + value.minute * 60 + value.second
    us = seconds * 1_000_000 + value.microsecond
    if offset is not None:
        us -= (offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds
    return us


def _canonical_to_us(text: str) -> int | None:
    """Microseconds since the epoch of ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]`` then ``Z`` or ``+00:00``.

    The common forms, read by :meth:`datetime.datetime.fromisoformat` (in C);
    None for any other string, and for one that is not a real date-time, so
    that the general reader accepts or rejects it with its reason.
    """
    n = len(text)
    if n == 20 or n == 24 or n == 27:
        if text[-1] != "Z":
            return None
        n -= 1
    elif n == 25 or n == 29 or n == 32:
        if not text.endswith("+00:00"):
            return None
        n -= 6
    else:
        return None
    if (
        text[10] != "T"
        or text[4] != "-"
        or text[7] != "-"
        or text[13] != ":"
        or text[16] != ":"
        or (n != 19 and text[19] != ".")
    ):
        return None
    try:
        parsed = _dt.datetime.fromisoformat(text[:n])
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return None
    return (parsed - _EPOCH_NAIVE) // _ONE_US


def _string_to_us(text: str, m: re.Match[str] | None = None) -> int:
    """Microseconds since the epoch of an ISO 8601 string (see the module docstring).

    ``m`` is the string's :data:`_RFC3339` match when the caller already has it.
    """
    if m is None:
        us = _canonical_to_us(text)
        if us is not None:
            return us
        m = _RFC3339.fullmatch(text)
        if m is None:
            return _fallback_to_us(text)
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    h = int(hour) if hour else 0
    mi = int(minute) if minute else 0
    sec = int(second) if second else 0
    try:
        days = _dt.date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
        if h > 23 or mi > 59 or sec > 59:
            raise ValueError(f"time {hour}:{minute}:{second or '00'} is not a time of day")
    except ValueError as exc:
        # Rarer but valid ISO 8601 (hour 24:00) is left to the fallback.
        try:
            return _fallback_to_us(text)
        except InvalidTimestampError:
            pass
        fix = "; a leap second (:60) is not accepted, write :59" if second == "60" else ""
        raise _error(text, f"not a real date-time: {exc}{fix}") from None
    us = (days * 86400 + h * 3600 + mi * 60 + sec) * 1_000_000
    if frac:
        us += int(frac[:6].ljust(6, "0"))
    if sign is not None and zulu is None:
        oh, om = int(off_h), int(off_m) if off_m else 0
        if oh > 23 or om > 59:
            raise _error(text, f"offset {sign}{off_h}:{off_m or '00'} is not a real UTC offset")
        off = (oh * 60 + om) * 60_000_000
        us = us - off if sign == "+" else us + off
    return us


def _fallback_to_us(text: str) -> int:
    if _ISO_SHAPE.fullmatch(text) is not None:
        from dateutil.parser import isoparse  # lazy: ~30 ms import, needed only for rare forms

        try:
            # A space may only separate the date and the time (isoparse takes any character there);
            # read as "T", a space that isoparse would take as part of a field fails instead.
            parsed = isoparse(text.replace(" ", "T"))
        except (ValueError, OverflowError, TypeError):
            pass
        else:
            return _datetime_to_us(parsed)
    fix = "strip the whitespace around it, or " if text.strip() != text else ""
    raise _error(text, f"not an ISO 8601 date-time; {fix}write one like {_EXAMPLES}")


def _to_ms(value: object, unit: str, numeric_strings: bool) -> int:
    """Unix milliseconds (floored) for any accepted input; the single reader."""
    if numeric_strings is not False and numeric_strings is not True:
        raise InvalidArgumentError(
            f"numeric_strings must be True or False, not {InvalidArgumentError.describe(numeric_strings)}",
            "numeric_strings",
            numeric_strings,
        )
    if unit != "s" and unit != "ms":
        _check_unit(value, unit)
    if isinstance(value, str):
        canonical = _canonical_to_us(value)
        if canonical is not None:
            us = canonical
        elif (m := _RFC3339.fullmatch(value)) is not None:
            us = _string_to_us(value, m)
        elif _NUMERIC.fullmatch(value):
            if not numeric_strings:
                raise _error(
                    value,
                    "a string of digits is not read as a timestamp: send the number itself "
                    "(without quotes) or an ISO 8601 string, or pass numeric_strings=True",
                )
            return _numeric_string_to_ms(value, unit)
        elif value.strip() != value and _NUMERIC.fullmatch(value.strip()):
            how = "strip the whitespace" if numeric_strings else "send the number itself, without quotes or whitespace"
            raise _error(value, f"a string of digits with whitespace around it is not a timestamp: {how}")
        else:
            us = _fallback_to_us(value)
    elif isinstance(value, bool):
        raise _error(value, f"a boolean is not a timestamp; write one like {_EXAMPLES}")
    elif isinstance(value, (int, float)):
        return _number_to_ms(value, unit)
    elif isinstance(value, _dt.datetime):
        try:
            us = _datetime_to_us(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise _error(value, f"its tzinfo gives no usable UTC offset: {exc}") from None
    elif isinstance(value, _dt.date):
        us = (value.toordinal() - _EPOCH_ORDINAL) * 86_400_000_000
    else:
        what = "null (None)" if value is None else f"a {type(value).__name__}"
        raise _error(value, f"{what} is not a timestamp; write one like {_EXAMPLES}")
    if not _MIN_US <= us <= _MAX_US:
        raise _error(value, f"the instant is outside the supported range {_RANGE} once read as UTC")
    return us // 1000


# -- public API ----------------------------------------------------------------------------
def to_unix(value: object, *, unit: Unit = "s", numeric_strings: bool = False) -> int:
    """Unix seconds (an ``int``, floored) for a timestamp in any accepted form.

    ``unit`` says how numbers (and, with ``numeric_strings=True``, strings of
    digits) are read: ``"s"`` for Unix seconds, ``"ms"`` for Unix
    milliseconds. The module docstring lists every accepted form.

    >>> to_unix("2013-02-18T16:35:08.722Z")
    1361205308
    >>> to_unix(1361205308722, unit="ms")
    1361205308

    Raises :class:`~cio_schemas.errors.InvalidTimestampError` for anything else.
    """
    return _to_ms(value, unit, numeric_strings) // 1000


def to_iso(value: object, *, unit: Unit = "s", numeric_strings: bool = False) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds floored) for a timestamp in any accepted form.

    >>> to_iso(1361205308)
    '2013-02-18T16:35:08.000Z'
    >>> to_iso("2013-02-18T11:35:08.7229-05:00")
    '2013-02-18T16:35:08.722Z'

    Raises :class:`~cio_schemas.errors.InvalidTimestampError` for anything that
    is not a timestamp (see the module docstring).
    """
    days, ms = divmod(_to_ms(value, unit, numeric_strings), 86_400_000)
    date = _dt.date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
    seconds, ms = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{date}T{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}Z"


def is_iso_timestamp(s: str) -> bool:
    """Whether a free attribute value is an ISO 8601 timestamp Customer.io would convert.

    The shape is ``YYYY-MM-DD``, optionally followed by ``THH:mm``, an optional
    ``:ss``, optional 1 to 9 fractional digits (after the seconds), and an
    optional ``Z``, ``±hh:mm`` or ``±hhmm`` (an offset only after a time);
    upper-case ``T`` and ``Z`` only. The string must also be a real date-time
    in the supported range (``2023-02-30`` is not). Non-strings are never
    timestamps here.
    """
    if not isinstance(s, str) or _ISO_ATTRIBUTE.fullmatch(s) is None:
        return False
    try:
        us = _string_to_us(s)
    except InvalidTimestampError:
        return False
    return _MIN_US <= us <= _MAX_US


# -- request bodies ------------------------------------------------------------------------
@dataclass(frozen=True)
class TimestampChange:
    """One timestamp rewritten: where (RFC 6901 pointer into the body), the old and the new value."""

    pointer: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.pointer or '(body)'}: {abridge(self.before)} -> {abridge(self.after)}"


#: Timestamp fields of a Track request body, as paths from the body (or from a v2 batch item).
TRACK_TIMESTAMP_FIELDS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "track-v1": (("timestamp",), ("_timestamp",), ("created_at",), ("device", "last_used")),
    "track-v2": (("timestamp",), ("attributes", "created_at"), ("device", "last_used")),
}
#: Timestamp fields of a Pipelines call (a body, a batch body, or a batch item).
PIPELINES_TIMESTAMP_FIELDS: tuple[tuple[str, ...], ...] = (
    ("timestamp",),
    ("originalTimestamp",),
    ("sentAt",),
    ("receivedAt",),
    ("traits", "createdAt"),
)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _rewrite(
    node: Mapping[str, Any],
    fields: tuple[tuple[str, ...], ...],
    base: tuple[str | int, ...],
    convert: Callable[[Any], Any],
    changes: list[TimestampChange],
) -> Mapping[str, Any]:
    """``node`` with each field in ``fields`` converted; copies only the dicts on changed paths."""
    out: Mapping[str, Any] = node
    for path in fields:
        # Walk down, remembering the parents, to find the value.
        parents: list[Mapping[str, Any]] = []
        cur: Any = out
        for key in path:
            if not isinstance(cur, Mapping) or key not in cur:
                break
            parents.append(cur)
            cur = cur[key]
        else:
            if cur is None:
                continue
            pointer = pointer_from_parts((*base, *path))
            try:
                new = convert(cur)
            except InvalidTimestampError as exc:
                raise _error(cur, exc.reason, pointer) from None
            if _same(cur, new):
                continue
            changes.append(TimestampChange(pointer, cur, new))
            # Rebuild the path bottom-up with fresh dicts.
            value: Any = new
            for parent, key in zip(reversed(parents), reversed(path), strict=True):
                copy = dict(parent)
                copy[key] = value
                value = copy
            out = value
    return out


def normalize_request_timestamps(
    body: Any, api: str, *, numeric_strings: bool = False
) -> tuple[Any, list[TimestampChange]]:
    """Rewrite the timestamp fields of a request body into its API's form.

    ``api`` is ``"track-v1"``, ``"track-v2"`` or ``"pipelines"`` (a route's
    ``api``). Track fields become Unix seconds (``int``, floored); Pipelines
    fields become ``YYYY-MM-DDTHH:MM:SS.mmmZ`` strings. The fields are:

    - Track v1: ``timestamp`` (events, anonymous events, metrics, push
      metrics), ``_timestamp`` and ``created_at`` (identify),
      ``device.last_used`` (add device);
    - Track v2 (an ``/entity`` body and each item of a ``/batch`` body):
      ``timestamp``, ``attributes.created_at``, ``device.last_used``;
    - Pipelines (a call, a ``/batch`` body and each of its items):
      ``timestamp``, ``originalTimestamp``, ``sentAt``, ``receivedAt``,
      ``traits.createdAt``.

    Only fields that are present are touched; ``null`` values are left alone
    (schema validation reports them). Free attributes are not touched (see
    :func:`convert_iso_attributes`). Returns ``(new_body, changes)``, one
    :class:`TimestampChange` per value that changed (the body's own fields in
    the order listed above, then each batch item's, item by item); the input is
    never modified (unchanged parts are shared with it). A value that is not a
    timestamp raises :class:`~cio_schemas.errors.InvalidTimestampError` with its
    pointer. A body that is not a JSON object is returned as it is.
    """
    if not isinstance(api, str):
        raise InvalidArgumentError(
            f"api must be 'track-v1', 'track-v2' or 'pipelines', not {InvalidArgumentError.describe(api)}", "api", api
        )
    if api in TRACK_TIMESTAMP_FIELDS:
        fields = TRACK_TIMESTAMP_FIELDS[api]

        def convert(v: Any) -> Any:
            return to_unix(v, numeric_strings=numeric_strings)

    elif api == "pipelines":
        fields = PIPELINES_TIMESTAMP_FIELDS

        def convert(v: Any) -> Any:
            return to_iso(v, numeric_strings=numeric_strings)

    else:
        raise InvalidArgumentError(
            f"api must be 'track-v1', 'track-v2' or 'pipelines', not {InvalidArgumentError.describe(api)}", "api", api
        )

    changes: list[TimestampChange] = []
    if not isinstance(body, Mapping):
        return body, changes
    # A v1 body has no batch; the envelope of a v2 batch has no timestamp of its own.
    top_fields = () if api == "track-v2" and "batch" in body else fields
    new: dict[str, Any] = dict(_rewrite(body, top_fields, (), convert, changes))
    items = new.get("batch")
    if api != "track-v1" and isinstance(items, list):
        new_items = [
            _rewrite(item, fields, ("batch", i), convert, changes) if isinstance(item, Mapping) else item
            for i, item in enumerate(items)
        ]
        if any(a is not b for a, b in zip(new_items, items, strict=True)):
            new["batch"] = new_items
    return new, changes


def convert_iso_attributes(obj: Any, *, base_pointer: str = "") -> tuple[Any, list[TimestampChange]]:
    """Replace ISO 8601 strings in free attributes by Unix seconds, as Customer.io does.

    Walks a traits / properties / attributes mapping: every string value for
    which :func:`is_iso_timestamp` is true becomes Unix seconds (``int``,
    floored; a string without an offset is UTC). Nested objects are walked.
    **Arrays are not entered**: a list and everything inside it is kept as it
    is, the rule Customer.io's own Segment destination follows. Numbers are
    never touched (a millisecond epoch stays milliseconds), nor are keys.

    ``base_pointer`` is the RFC 6901 pointer of ``obj`` inside its body
    (e.g. ``"/traits"``), so that each :class:`TimestampChange` points into the
    body. Returns ``(new_obj, changes)``: ``new_obj`` is always a new ``dict``
    and the input is never modified (unchanged nested parts are shared with
    it). A value that is not a mapping is returned as it is.
    """
    if not isinstance(base_pointer, str) or (base_pointer and not base_pointer.startswith("/")):
        raise InvalidArgumentError(
            "base_pointer must be a JSON pointer string such as '/traits' (or ''), "
            f"not {InvalidArgumentError.describe(base_pointer)}",
            "base_pointer",
            base_pointer,
        )
    changes: list[TimestampChange] = []
    if not isinstance(obj, Mapping):
        return obj, changes
    new = _walk_attributes(obj, base_pointer, changes)
    return (dict(obj) if new is obj else new), changes


#: Values that are never a Mapping: ``isinstance(5, Mapping)`` is an ABC check, slow for the many numbers.
_NOT_MAPPINGS = (int, float, list, tuple, type(None))


def _walk_attributes(obj: Mapping[Any, Any], pointer: str, changes: list[TimestampChange], depth: int = 0) -> Any:
    if depth >= MAX_DEPTH:  # a body nests at most MAX_DEPTH levels; deeper (or circular) is not JSON to send
        raise InvalidArgumentError(
            f"convert_iso_attributes() walks objects nested at most {MAX_DEPTH} levels deep (or circular): {pointer}",
            "obj",
            obj,
        )
    out: dict[Any, Any] | None = None
    for key, value in obj.items():
        if isinstance(value, str):
            if not is_iso_timestamp(value):
                continue
            new: Any = to_unix(value)
            changes.append(TimestampChange(pointer + pointer_from_parts((key,)), value, new))
        elif type(value) is dict or (not isinstance(value, _NOT_MAPPINGS) and isinstance(value, Mapping)):
            new = _walk_attributes(value, pointer + pointer_from_parts((key,)), changes, depth + 1)
            if new is value:
                continue
        else:
            continue
        if out is None:
            out = dict(obj)
        out[key] = new
    return obj if out is None else out
