"""Hypothesis strategies that generate valid Customer.io requests, driven by the shipped schemas.

Hypothesis is installed with cio-schemas (and imported only when this module is).
Use the strategies in your own property-based tests::

    from hypothesis import given
    from cio_schemas import strategies as cio

    @given(cio.requests(api="pipelines"))
    def test_my_client_sends_what_it_gets(request):
        ...

Public strategies
-----------------
:func:`requests`
    Valid :class:`~cio_schemas.Request` values for every route, for one API
    (``"track-v1"``, ``"track-v2"``, ``"pipelines"``) or for one route. Path
    parameters are filled with realistic identifiers and percent-encoded with
    :func:`~cio_schemas.build_path`.
:func:`bodies`
    Valid bodies for one schema name (``track_v1/identify``,
    ``track_v2/person/event``, ``pipelines/semantic/user_deleted`` …).
:func:`from_schema`
    The generator underneath: values that satisfy any shipped schema, or a
    subschema of one (``common/track#/$defs/person_identifiers``).

Options
-------
``tricky=True``
    Unicode everywhere (control characters, emoji, right-to-left text), emails
    and ``cio_`` values as identifiers, characters that need escaping in a path,
    huge integers and floats, Unix timestamps at the edges (``0``,
    ``1361205308``, ``253402300799``) and ISO 8601 strings with 0, 3, 6 or 9
    fraction digits, offsets and the extreme years.
``near_limits=True``
    Strings just under their byte limits (the schemas' ``maxBytes``: 150-byte
    identifiers and attribute names, 1000-byte attribute values, 100-byte event
    names), filled with multibyte characters so that characters and bytes
    differ.

How it works
------------
The generator reads the schemas themselves (``$ref`` resolved across files
through the shipped schema set) and understands the keywords they use:
``type`` (also lists), ``properties``, ``required``, ``additionalProperties``
(a few extra keys are generated where they are allowed), ``patternProperties``,
``propertyNames``, ``enum``, ``const``, ``allOf``, ``anyOf``, ``oneOf``,
``not``, ``if``/``then``/``else``, ``items``/``prefixItems``/``minItems``/
``maxItems``, ``minProperties``/``maxProperties``, ``minLength``/
``maxLength``/``pattern``, numeric bounds, ``format`` (``date-time``,
``email``) and cio-schemas' own ``maxBytes``. A conditional is resolved before
the object is built: the properties its ``if`` looks at (``type``, ``action``,
``event`` …) are drawn first, among the constants the conditions name, so that
the generated object always takes the branch it was built for. Every value is
checked with the library's own validator at the end, as a safety net; the
generator is built so that this check almost never rejects anything.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from ._field_limits import ID_BYTES
from .catalog import APIS, ROUTES, Route
from .errors import InvalidArgumentError, UnknownRouteError
from .registry import FORMAT_CHECKER, CioValidator, _registry, json_byte_length
from .request import Request, build_path
from .validation import is_valid

__all__ = ["requests", "bodies", "from_schema", "path_parameters"]

# -- schemas, with every $ref inlined --------------------------------------------------------------------------------


@cache
def _compiled(name: str) -> Any:
    """The self-contained schema called ``name`` (``track_v1/identify`` or ``common/track#/$defs/device_platform``)."""
    path, _, pointer = name.partition("#")
    return _registry().bundled(path, pointer, annotations=False)


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _validator(schema: Any) -> Any:
    """A cached validator (Draft 2020-12 + ``maxBytes``, formats asserted) for a self-contained schema."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        found = (schema, CioValidator(schema, format_checker=FORMAT_CHECKER))
        _VALIDATORS[id(schema)] = found
    return found[1]


_NONE_OF: dict[Any, dict[str, Any]] = {}


def _none_of(values: Sequence[Any]) -> dict[str, Any]:
    """The (cached) schema ``{"not": {"enum": values}}``."""
    key = tuple(_json_key(v) for v in values)
    found = _NONE_OF.get(key)
    if found is None:
        found = _NONE_OF[key] = {"not": {"enum": list(values)}}
    return found


def _holds(schema: Any, value: Any) -> bool:
    """Whether ``value`` satisfies the self-contained ``schema``."""
    return bool(_validator(schema).is_valid(value))


# -- the generator ---------------------------------------------------------------------------------------------------


class _Unsat(Exception):
    """The constraints drawn so far cannot be met: the example is thrown away."""


class _Absent:
    """Marks a property that was decided to be left out."""

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()
_OTHER = object()

#: Keywords that say a schema without ``type`` is meant for objects (or arrays).
_OBJECT_KEYWORDS = frozenset(
    {"properties", "required", "additionalProperties", "patternProperties", "propertyNames", "if", "anyOf", "oneOf"}
    | {"minProperties", "maxProperties", "dependentRequired", "not"}
)
_ARRAY_KEYWORDS = frozenset({"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"})
_TYPES = ("object", "string", "integer", "number", "boolean", "null", "array")
#: Keywords at the top of an ``if`` that look only at the named properties of an object.
_PROPERTY_ONLY = frozenset({"type", "properties", "required", "not", "allOf", "anyOf", "oneOf"})

_ID_KEYS = frozenset(
    {
        "id",
        "ids",
        "identifier",
        "userId",
        "previousId",
        "anonymousId",
        "anonymous_id",
        "groupId",
        "messageId",
        "object_id",
        "objectId",
        "cio_object_id",
        "delivery_id",
        "deliveryId",
        "device_id",
        "form_id",
        "token",
        "device_token",
    }
)
_EMAIL_KEYS = frozenset({"email", "from_address", "reply_to", "recipient"})
_TIMESTAMP_KEYS = frozenset({"timestamp", "_timestamp", "created_at", "last_used", "createdAt"})
_TYPE_ID_KEYS = frozenset({"object_type_id", "objectTypeId"})
_URL_KEYS = frozenset({"url", "href", "referrer"})

#: Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
_MIN_UNIX = -62135596800
_MAX_UNIX = 253402300799
_EDGE_UNIX = (0, 1361205308, _MAX_UNIX, _MIN_UNIX, 1, -1, 2147483647, 2147483648, 1361205308722)
_EDGE_ISO = (
    "1970-01-01T00:00:00Z",
    "2013-02-18T16:35:08Z",
    "2013-02-18T16:35:08.722Z",
    "2013-02-18T11:35:08.722999-05:00",
    "2013-02-18T16:35:08.722999999Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999999Z",
    "2016-12-31T23:59:59+00:00",
    "2024-02-29T12:00:00.000+14:00",
    "2024-02-29t12:00:00.5z",
)
_TRICKY_STRINGS = (
    "",
    " ",
    "a/b",
    "50%",
    "%2F",
    "a?b#c",
    "é",
    "😀",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "\x00",
    "line\nbreak",
    "\\",
    '"',
    "null",
    "cio_",
    "cio_03000001",
    "user@example.com",
    "2013-02-18T16:35:08Z",
)
#: Multibyte fillers for strings near their byte limits (2, 3 and 4 bytes in UTF-8).
_MULTIBYTE = ("é", "€", "😀", "日", "ß")

_IDISH = string.ascii_letters + string.digits + "-_"
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_PLAIN_TEXT = st.text(string.ascii_letters + string.digits + " -_.é", max_size=12)


@dataclass(frozen=True)
class _Options:
    """The generation options (see the module docstring)."""

    tricky: bool = False
    near_limits: bool = False


# Strategies are built once and reused: building one costs far more than drawing from it.
_BOOLS = st.booleans()


@cache
def _ints(low: int | None, high: int | None) -> SearchStrategy[int]:
    """``st.integers(low, high)``, built once per pair of bounds."""
    return st.integers(low, high)


@cache
def _regex(pattern: str) -> SearchStrategy[str]:
    """Strings that contain a match of ``pattern`` (JSON Schema's search semantics)."""
    return st.from_regex(pattern)


_REALISTIC_IDS = st.one_of(
    st.integers(1, 10**9).map(str),
    st.uuids().map(str),
    st.text(_IDISH, min_size=1, max_size=24),
    st.sampled_from(("42", "97980cfea0067", "user-42", "c0e5cae6-6f04-46e4-97a8-25076e8bdc0b")),
)


@cache
def _identifiers(options: _Options) -> SearchStrategy[str]:
    """Identifiers: numbers, UUIDs, slugs; with ``tricky`` also emails, ``cio_`` values and odd text."""
    realistic = _REALISTIC_IDS
    if not options.tricky:
        return realistic
    return st.one_of(
        realistic,
        _emails(options, 150),
        st.text("0123456789abcdef", min_size=1, max_size=16).map(lambda h: "cio_" + h),
        st.sampled_from(_TRICKY_STRINGS),
        _TEXT,
    )


@cache
def _emails(options: _Options, limit: int | None) -> SearchStrategy[str]:
    """Strings with an ``@`` (the ``email`` format), at most ``limit`` bytes."""
    local = st.text(string.ascii_lowercase + string.digits + "._+-", min_size=1, max_size=12)
    domain = st.sampled_from(("example.com", "example.org", "mail.example.co.uk"))
    if options.tricky:
        local = local | st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
        domain = domain | st.sampled_from(("bücher.example", "例え.jp", "[127.0.0.1]"))
    emails = st.builds(lambda a, b: f"{a}@{b}", local, domain)
    if limit is not None and options.near_limits:
        emails = emails | st.builds(
            lambda fill, slack: fill * ((limit - 12 - slack) // len(fill.encode())) + "@example.com",
            st.sampled_from(_MULTIBYTE),
            st.integers(0, 5),
        )
    if limit is not None:
        emails = emails.filter(lambda e: len(e.encode("utf-8")) <= limit)
    return emails


def _render_datetime(moment: datetime, digits: int, offset: str, extra: int) -> str:
    """An RFC 3339 date-time with ``digits`` fraction digits and the given offset."""
    m = moment
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    if digits:
        text += "." + f"{m.microsecond:06d}{extra:03d}"[:digits]
    return text + offset


@cache
def _datetimes(options: _Options) -> SearchStrategy[str]:
    """RFC 3339 date-time strings (the ``date-time`` format)."""
    if options.tricky:
        moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30, 23, 59, 59))
        digits = st.sampled_from((0, 3, 6, 9))
        offsets = st.sampled_from(("Z", "+00:00", "-05:00", "+14:00", "-12:00", "+05:45", "z"))
    else:
        moments = st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1))
        digits = st.sampled_from((0, 3))
        offsets = st.sampled_from(("Z", "Z", "+00:00", "+02:00", "-05:00"))
    rendered = st.builds(_render_datetime, moments, digits, offsets, st.integers(0, 999))
    return st.sampled_from(_EDGE_ISO) | rendered if options.tricky else rendered


@cache
def _unix_times(options: _Options) -> SearchStrategy[int]:
    """Unix seconds for timestamp fields; with ``tricky``, the edges of the accepted range too."""
    if options.tricky:
        return st.sampled_from(_EDGE_UNIX[:3]) | st.sampled_from(_EDGE_UNIX) | st.integers(_MIN_UNIX, _MAX_UNIX)
    return st.integers(1_300_000_000, 1_900_000_000)


@cache
def _integers(options: _Options) -> SearchStrategy[int]:
    """Integers for fields that are not timestamps; with ``tricky``, beyond 64 bits too."""
    if options.tricky:
        return st.integers() | st.sampled_from((0, -1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63)))
    return st.integers(-1000, 10**9)


@cache
def _numbers(options: _Options) -> SearchStrategy[float | int]:
    """Numbers (integers and finite floats); with ``tricky``, the extremes of a double too."""
    if options.tricky:
        special = st.sampled_from((1e308, -1e308, 5e-324, -0.0, 0.1, 2.0**53, 1e-7))
        return special | st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    return st.integers(-1000, 10**6) | st.floats(-1e6, 1e6, allow_nan=False)


@cache
def _texts(options: _Options) -> SearchStrategy[str]:
    """Free text for string fields without a format or a hint from their name."""
    return st.sampled_from(_TRICKY_STRINGS) | _TEXT if options.tricky else _PLAIN_TEXT


@cache
def _key_names(options: _Options) -> SearchStrategy[str]:
    """Names for the extra members of open objects (attribute names, traits)."""
    if options.tricky:
        return st.sampled_from(_TRICKY_STRINGS) | _TEXT
    return st.sampled_from(("plan", "first_name", "age", "score", "vip", "city")) | _PLAIN_TEXT


_URLS = st.sampled_from(("https://example.com/", "https://example.com/pricing?plan=pro", "/docs"))
_FALLBACK_NAMES = st.text(string.ascii_lowercase, min_size=1, max_size=8)


def _json_key(value: Any) -> Any:
    """A hashable key that tells JSON values apart the way JSON Schema does (``true`` is not ``1``)."""
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, (list, tuple)):
        return ("a", tuple(_json_key(v) for v in value))
    if isinstance(value, Mapping):
        return ("o", tuple(sorted((k, _json_key(v)) for k, v in value.items())))
    return ("?", repr(value))


def _schema_types(schema: Mapping[str, Any]) -> set[str] | None:
    """The types a schema's ``type`` allows (``number`` includes ``integer``), None without ``type``."""
    t = schema.get("type")
    if t is None:
        return None
    names = {t} if isinstance(t, str) else set(t)
    if "number" in names:
        names.add("integer")
    return names


def _allowed_types(conj: Iterable[Mapping[str, Any]]) -> set[str]:
    """The JSON types every schema of the conjunction allows."""
    allowed = set(_TYPES)
    for atom in conj:
        names = _schema_types(atom)
        if names is not None:
            allowed &= names
    return allowed


def _mentioned(schema: Any) -> tuple[str, ...] | None:
    """The property names an ``if`` depends on, or None if it depends on more than named properties."""
    if schema is True or schema == {}:
        return ()
    if not isinstance(schema, dict) or not set(schema) <= _PROPERTY_ONLY:
        return None
    names: list[str] = [*schema.get("properties", {}), *schema.get("required", ())]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, ()):
            found = _mentioned(sub)
            if found is None:
                return None
            names.extend(found)
    if "not" in schema:
        found = _mentioned(schema["not"])
        if found is None:
            return None
        names.extend(found)
    return tuple(dict.fromkeys(names))


def _assignment(schema: Any) -> dict[str, list[Any]] | None:
    """For an ``if`` that only compares properties with constants: property → the values that make it hold."""
    if not isinstance(schema, dict) or not set(schema) <= {"type", "properties", "required"}:
        return None
    types = _schema_types(schema)
    if types is not None and "object" not in types:
        return None
    out: dict[str, list[Any]] = {}
    for key, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict) and set(sub) == {"const"}:
            out[key] = [sub["const"]]
        elif isinstance(sub, dict) and set(sub) == {"enum"} and sub["enum"]:
            out[key] = list(sub["enum"])
        else:
            return None
    if not set(schema.get("required", ())) <= set(out):
        return None
    return out or None


def _named_values(schema: Any, key: str) -> list[Any]:
    """The constants an ``if`` compares property ``key`` with."""
    out: list[Any] = []
    if not isinstance(schema, dict):
        return out
    prop = schema.get("properties", {}).get(key)
    if isinstance(prop, dict):
        if "const" in prop:
            out.append(prop["const"])
        out.extend(prop.get("enum", ()))
    for sub in (*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())):
        out.extend(_named_values(sub, key))
    if "not" in schema:
        out.extend(_named_values(schema["not"], key))
    return out


def _flatten(schemas: Iterable[Any], out: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The conjunction ``schemas`` as a flat list of subschemas (``allOf`` expanded)."""
    result: list[dict[str, Any]] = [] if out is None else out
    for schema in schemas:
        if schema is True or schema == {}:
            continue
        if schema is False:
            raise _Unsat
        if any(s is schema for s in result):
            continue
        result.append(schema)
        _flatten(schema.get("allOf", ()), result)
    return result


def _truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    if len(text) <= limit and text.isascii():
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


class _Generator:
    """Draws one value for a conjunction of subschemas (see the module docstring)."""

    def __init__(self, draw: DrawFn, options: _Options) -> None:
        """Generate with ``draw`` (hypothesis' draw function) under ``options``."""
        self.draw = draw
        self.opts = options

    def index(self, n: int) -> int:
        """Draw an index below ``n`` (shrinks toward 0)."""
        return int(self.draw(_ints(0, n - 1))) if n > 1 else 0

    def choice(self, items: Sequence[Any]) -> Any:
        """Draw one of ``items`` (shrinks toward the first)."""
        return items[self.index(len(items))]

    # -- any value ---------------------------------------------------------------------------------------------------
    def value(self, schemas: Sequence[Any], key: str | None = None, depth: int = 0) -> Any:
        """A value that satisfies every schema in ``schemas`` (``key`` is the member name it is for)."""
        conj = _flatten(schemas)
        done: set[tuple[int, str]] = set()
        conj = self._choose_alternatives(conj, {}, done, _allowed_types(conj))
        values: list[Any] | None = None
        for atom in conj:
            if "const" in atom:
                values = self._intersect(values, [atom["const"]])
            if "enum" in atom:
                values = self._intersect(values, atom["enum"])
        if values is not None:
            fits = [v for v in values if all(_holds(a, v) for a in conj)]
            if not fits:
                raise _Unsat
            return self.choice(fits)
        kind = self._pick_type(conj, key, depth)
        for _ in range(3):
            if kind == "object":
                return self._object(conj, depth, done)
            result = self._scalar_or_array(kind, conj, key, depth)
            if all(_holds(a, result) for a in conj if self._has_logic(a)):
                return result
        raise _Unsat

    @staticmethod
    def _has_logic(atom: Mapping[str, Any]) -> bool:
        """Whether a subschema has keywords the generator satisfies by checking rather than by construction."""
        return any(k in atom for k in ("not", "if", "anyOf", "oneOf", "contains", "uniqueItems", "multipleOf"))

    @staticmethod
    def _intersect(values: list[Any] | None, more: Iterable[Any]) -> list[Any]:
        """The values of ``values`` also in ``more`` (``values`` None means no restriction yet)."""
        more = list(more)
        if values is None:
            return more
        keys = {_json_key(v) for v in more}
        return [v for v in values if _json_key(v) in keys]

    def _pick_type(self, conj: Sequence[Mapping[str, Any]], key: str | None, depth: int) -> str:
        """The JSON type to generate (objects first, then strings, numbers …, for shrinking)."""
        allowed = _allowed_types(conj)
        if not allowed:
            raise _Unsat
        constrained = any(_schema_types(a) is not None for a in conj)
        if not constrained:
            if any(k in a for a in conj for k in _OBJECT_KEYWORDS):
                return "object"
            if any(k in a for a in conj for k in _ARRAY_KEYWORDS):
                return "array"
            if depth >= 3:
                allowed -= {"object", "array"}
        order = [t for t in _TYPES if t in allowed]
        if not constrained and key in _TIMESTAMP_KEYS and "integer" in allowed:
            order.insert(0, "integer")
        return str(self.choice(order))

    def _choose_alternatives(
        self,
        conj: list[dict[str, Any]],
        drawn: Mapping[str, Any],
        done: set[tuple[int, str]],
        types: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Pick one branch of every ``anyOf``/``oneOf``.

        The branch must allow one of ``types`` when they are given (before the
        type is chosen), else be consistent with the object properties drawn so far.
        """
        changed = True
        while changed:
            changed = False
            for atom in list(conj):
                for keyword in ("anyOf", "oneOf"):
                    branches = atom.get(keyword)
                    if not branches or (id(atom), keyword) in done:
                        continue
                    done.add((id(atom), keyword))
                    options = list(range(len(branches)))
                    while options:
                        i = self.choice(options)
                        if types is not None:
                            try:
                                fits = bool(types & _allowed_types(_flatten([branches[i]])))
                            except _Unsat:
                                fits = False
                        else:
                            fits = self._consistent([branches[i]], drawn)
                        if fits:
                            conj = _flatten([branches[i]], conj)
                            if types is not None:
                                types = _allowed_types(conj)
                            break
                        options.remove(i)
                    else:
                        raise _Unsat
                    changed = True
        return conj

    # -- objects -----------------------------------------------------------------------------------------------------
    def _consistent(self, branches: Sequence[Any], drawn: Mapping[str, Any]) -> bool:
        """Whether the properties drawn so far can satisfy ``branches`` (and the types they require)."""
        try:
            atoms = _flatten(branches)
        except _Unsat:
            return False
        for atom in atoms:
            names = _schema_types(atom)
            if names is not None and "object" not in names:
                return False
            for name in atom.get("required", ()):
                if drawn.get(name) is _ABSENT:
                    return False
            for name, sub in atom.get("properties", {}).items():
                value = drawn.get(name, _ABSENT)
                if value is not _ABSENT and not _holds(sub, value):
                    return False
        return True

    def _decide(self, conds: Sequence[dict[str, Any]], drawn: Mapping[str, Any]) -> list[tuple[dict[str, Any], bool]]:
        """The conditionals whose ``if`` the drawn properties settle, with their verdicts."""
        partial = {k: v for k, v in drawn.items() if v is not _ABSENT}
        out: list[tuple[dict[str, Any], bool]] = []
        for atom in conds:
            names = _mentioned(atom["if"])
            if names is not None and all(n in drawn for n in names):
                out.append((atom, _holds(atom["if"], partial)))
        return out

    def _branch_ok(self, conds: Sequence[dict[str, Any]], drawn: Mapping[str, Any]) -> bool:
        """Whether the drawn properties fit the branch of every condition they settle."""
        for atom, verdict in self._decide(conds, drawn):
            branch = atom.get("then" if verdict else "else", True)
            if not self._consistent([branch], drawn):
                return False
        return True

    def _target(self, conj: Sequence[Any], pending: Sequence[dict[str, Any]], drawn: dict[str, Any]) -> bool:
        """Pick one pending condition and draw the properties that make it hold; False to pick none.

        Choosing among the conditions (rather than among the values of each
        property in turn) gives every branch of a dispatching schema, such as
        each Track v2 ``type`` + ``action``, about the same chance.
        """
        targets: list[tuple[dict[str, Any], dict[str, list[Any]]]] = []
        for atom in pending:
            wanted = _assignment(atom["if"])
            if wanted is None or all(k in drawn for k in wanted):
                continue
            if all(k not in drawn or _json_key(drawn[k]) in {_json_key(v) for v in wanted[k]} for k in wanted):
                targets.append((atom, wanted))
        options: list[Any] = [*targets, *([None] * max(1, len(targets) // 3))] if targets else []
        while options:
            i = self.index(len(options))
            if options[i] is None:
                return False
            _, wanted = options[i]
            trial = dict(drawn)
            for key, values in wanted.items():
                if key not in trial:
                    own = self._property_schemas(conj, key)
                    fits = [v for v in values if all(_holds(s, v) for s in own)]
                    if not fits:
                        break
                    trial[key] = self.choice(fits)
            else:
                if self._branch_ok(pending, trial):
                    drawn.update(trial)
                    return True
            del options[i]
        return False

    def _discriminator(
        self, name: str, conj: list[dict[str, Any]], conds: Sequence[dict[str, Any]], drawn: dict[str, Any], depth: int
    ) -> Any:
        """Draw property ``name`` before the rest of the object.

        This runs when no condition was picked to hold (see :meth:`_target`),
        so a value no condition names (a custom event name, a ``type`` left
        out) is tried first, then the constants the conditions name.
        """
        own = self._property_schemas(conj, name)
        required = any(name in a.get("required", ()) for a in conj)
        named: list[Any] = []
        for atom in conds:
            named.extend(_named_values(atom["if"], name))
        consts = list({_json_key(v): v for v in named if all(_holds(s, v) for s in own)}.values())
        # _OTHER stands for a value the conditions do not name.
        unnamed_options: list[Any] = [_OTHER] if required else [_OTHER, _ABSENT]
        subs = [
            b["properties"][name]
            for atom in conds
            for b in (atom.get("then"), atom.get("else"))
            if isinstance(b, dict) and name in b.get("properties", {})
        ]
        open_subs = [h for h in subs if not (isinstance(h, dict) and ("const" in h or "enum" in h))]
        hints = open_subs or subs
        unnamed = [_none_of(consts)] if consts else []
        for options in (unnamed_options, consts):
            options = list(options)
            while options:
                i = self.index(len(options))
                choice = options[i]
                del options[i]
                if choice is _OTHER:
                    extra = [self.choice(hints)] if hints else []
                    try:
                        choice = self.value([*own, *extra, *unnamed], name, depth + 1)
                    except _Unsat:
                        continue
                if self._branch_ok(conds, {**drawn, name: choice}):
                    return choice
        raise _Unsat

    def _resolve_conditionals(
        self, conj: list[dict[str, Any]], depth: int, alternatives: set[tuple[int, str]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Settle every ``if``/``then``/``else`` (and the ``anyOf``s they bring), drawing discriminators first."""
        drawn: dict[str, Any] = {}
        decided: set[int] = set()
        negatives: list[Any] = []
        unnamed = False  # once set, values no condition names are preferred (a custom event, no ``type``)
        while True:
            conj = self._choose_alternatives(conj, drawn, alternatives)
            conds = [a for a in conj if "if" in a and id(a) not in decided]
            if not conds:
                break
            progress = False
            for atom, verdict in self._decide(conds, drawn):
                decided.add(id(atom))
                conj = _flatten([atom.get("then" if verdict else "else", True)], conj)
                progress = True
            for atom in conds:
                if id(atom) not in decided and _mentioned(atom["if"]) is None:
                    # A condition on the whole object: choose a branch, check the choice at the end.
                    decided.add(id(atom))
                    if self.draw(_BOOLS):
                        conj = _flatten([atom["if"], atom.get("then", True)], conj)
                    else:
                        conj = _flatten([atom.get("else", True)], conj)
                        negatives.append(atom["if"])
                    progress = True
            if progress:
                continue
            pending = [a for a in conds if id(a) not in decided]
            if not unnamed and self._target(conj, pending, drawn):
                continue
            unnamed = True
            names = _mentioned(pending[0]["if"]) or ()
            name = next(n for n in names if n not in drawn)
            drawn[name] = self._discriminator(name, conj, pending, drawn, depth)
        if negatives:
            conj = [*conj, {"not": {"anyOf": negatives}}]
        return conj, drawn

    @staticmethod
    def _property_schemas(conj: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
        """Every subschema property ``name`` must satisfy in the conjunction."""
        out: list[Any] = []
        for atom in conj:
            props = atom.get("properties", {})
            if name in props:
                out.append(props[name])
                continue
            matched = False
            for pattern, sub in atom.get("patternProperties", {}).items():
                if re.search(pattern, name):
                    out.append(sub)
                    matched = True
            if not matched and "additionalProperties" in atom:
                out.append(atom["additionalProperties"])
        return out

    def _object(self, conj: list[dict[str, Any]], depth: int, done: set[tuple[int, str]]) -> dict[str, Any]:
        """An object satisfying the conjunction: conditions settled, then required, optional and extra members."""
        conj, drawn = self._resolve_conditionals(conj, depth, done)
        known: list[str] = list(dict.fromkeys(k for a in conj for k in a.get("properties", {})))
        required: list[str] = list(dict.fromkeys(k for a in conj for k in a.get("required", ())))
        dependencies: dict[str, list[str]] = {}
        for atom in conj:
            for trigger, needs in atom.get("dependentRequired", {}).items():
                dependencies.setdefault(trigger, []).extend(needs)
        self._close_dependencies(required, dependencies)
        forbidden: list[set[str]] = []
        for atom in conj:
            neg = atom.get("not")
            if isinstance(neg, dict) and set(neg) == {"required"}:
                forbidden.append(set(neg["required"]))
        min_props = max([int(a["minProperties"]) for a in conj if "minProperties" in a], default=0)
        max_props = min([int(a["maxProperties"]) for a in conj if "maxProperties" in a], default=10**9)
        closed = any(a.get("additionalProperties") is False for a in conj)
        names_schemas = [a["propertyNames"] for a in conj if "propertyNames" in a]

        keys: list[str] = []
        for name in required:
            if drawn.get(name) is _ABSENT:
                raise _Unsat
            keys.append(name)
        keys.extend(k for k, v in drawn.items() if v is not _ABSENT and k not in keys)

        def completes_forbidden(name: str) -> bool:
            """Whether adding ``name`` would make a ``not: {required: [...]}`` group complete."""
            chosen = {*keys, name}
            return any(group <= chosen for group in forbidden)

        if any(group <= set(keys) for group in forbidden):
            raise _Unsat
        optional = [k for k in known if k not in keys and k not in drawn]
        if optional and len(keys) < max_props:
            # One draw for how many, one per pick: far fewer draws than a coin per property.
            cap = len(optional) if depth == 0 else min(len(optional), 3)
            picks = {self.index(len(optional)) for _ in range(self.index(cap + 1))}
            wanted = [name for i, name in enumerate(optional) if i in picks]
            for name in wanted:
                if len(keys) >= max_props:
                    break
                if not completes_forbidden(name) and all(_holds(s, name) for s in names_schemas):
                    keys.append(name)
        reserved = {*known, *required, *drawn, *(k for g in forbidden for k in g)}
        extra_names: list[str] = []
        if not closed and depth < 4:
            room = max(0, max_props - len(keys))
            # Free-form objects (attributes, traits, properties) get a few members; objects with declared
            # properties and no rule for others get one now and then.
            free = not known or any(isinstance(a.get("additionalProperties"), dict) for a in conj)
            want = min(room, self.index(4) if free else self.choice((0, 0, 1, 2)))
            want = max(want, min_props - len(keys))
            for _ in range(3 * want):
                if len(extra_names) >= want:
                    break
                name = self._key_name(names_schemas)
                if name not in reserved and name not in extra_names and not completes_forbidden(name):
                    extra_names.append(name)
        elif len(keys) < min_props:
            for name in optional:
                if len(keys) >= min_props:
                    break
                if name not in keys and not completes_forbidden(name):
                    keys.append(name)
        if dependencies:
            self._close_dependencies(keys, dependencies)
            if any(group <= set(keys) for group in forbidden) or any(drawn.get(k) is _ABSENT for k in keys):
                raise _Unsat
        if len(keys) + len(extra_names) < min_props or len(keys) + len(extra_names) > max_props:
            raise _Unsat

        out: dict[str, Any] = {}
        for name in [*keys, *extra_names]:
            if name in drawn:
                out[name] = drawn[name]
            else:
                out[name] = self.value(self._property_schemas(conj, name), name, depth + 1)
        self._fit_bytes(out, conj, {*required, *drawn})
        return out

    @staticmethod
    def _close_dependencies(keys: list[str], dependencies: Mapping[str, Sequence[str]]) -> None:
        """Add to ``keys`` every name a present key depends on (``dependentRequired``), transitively."""
        for name in keys:  # keys grows while it is walked: the closure is complete at the end
            keys.extend(n for n in dependencies.get(name, ()) if n not in keys)

    def _fit_bytes(self, out: dict[str, Any], conj: Sequence[Mapping[str, Any]], keep: set[str]) -> None:
        """Drop optional members, largest first, until ``out`` is within the objects' ``maxBytes``."""
        limits = [int(a["maxBytes"]) for a in conj if "maxBytes" in a]
        if not limits:
            return
        limit = min(limits)
        while json_byte_length(out) > limit:
            droppable = [k for k in out if k not in keep]
            if not droppable:
                raise _Unsat
            del out[max(droppable, key=lambda k: json_byte_length(out[k]))]

    def _key_name(self, names_schemas: Sequence[Any]) -> str:
        """A name for an extra member that satisfies every ``propertyNames``."""
        limit = min([int(s["maxBytes"]) for s in names_schemas if isinstance(s, dict) and "maxBytes" in s], default=0)
        max_len = min(
            [int(s["maxLength"]) for s in names_schemas if isinstance(s, dict) and "maxLength" in s], default=0
        )
        if self.opts.near_limits and limit and self.index(4) == 0:
            name = self._near_limit_text(limit)
        else:
            name = self.draw(_key_names(self.opts))
        if limit:
            name = _truncate_bytes(name, limit)
        if max_len:
            name = name[:max_len]
        if not all(_holds(s, name) for s in names_schemas):
            name = self.draw(_FALLBACK_NAMES)
            if not all(_holds(s, name) for s in names_schemas):
                raise _Unsat
        return str(name)

    # -- scalars and arrays ------------------------------------------------------------------------------------------
    def _scalar_or_array(self, kind: str, conj: Sequence[Mapping[str, Any]], key: str | None, depth: int) -> Any:
        """A value of type ``kind`` (not an object) for the conjunction."""
        if kind == "null":
            return None
        if kind == "boolean":
            return self.draw(_BOOLS)
        if kind == "integer":
            return self._integer(conj, key)
        if kind == "number":
            return self._number(conj)
        if kind == "string":
            return self._string(conj, key)
        return self._array(conj, key, depth)

    @staticmethod
    def _limits(conj: Sequence[Mapping[str, Any]], inclusive: str, exclusive: str, pick: Any) -> tuple[Any, bool]:
        """The binding bound among ``inclusive``/``exclusive`` keywords, and whether it is exclusive."""
        found = [(a[inclusive], False) for a in conj if inclusive in a] + [
            (a[exclusive], True) for a in conj if exclusive in a
        ]
        if not found:
            return None, False
        value = pick(v for v, _ in found)
        return value, any(v == value and ex for v, ex in found)

    def _integer(self, conj: Sequence[Mapping[str, Any]], key: str | None) -> int:
        """An integer within the bounds, a timestamp for timestamp fields."""
        low, low_ex = self._limits(conj, "minimum", "exclusiveMinimum", max)
        high, high_ex = self._limits(conj, "maximum", "exclusiveMaximum", min)
        if low is not None or high is not None:
            lo = None if low is None else (math.floor(low) + 1 if low_ex else math.ceil(low))
            hi = None if high is None else (math.ceil(high) - 1 if high_ex else math.floor(high))
            if lo is not None and hi is not None and lo > hi:
                raise _Unsat
            return int(self.draw(_ints(lo, hi)))
        if key in _TIMESTAMP_KEYS or (key or "").endswith("_at"):
            return int(self.draw(_unix_times(self.opts)))
        if key in _TYPE_ID_KEYS:
            return int(self.draw(_ints(1, 20)))
        return int(self.draw(_integers(self.opts)))

    def _number(self, conj: Sequence[Mapping[str, Any]]) -> float | int:
        """A number within the bounds."""
        low, low_ex = self._limits(conj, "minimum", "exclusiveMinimum", max)
        high, high_ex = self._limits(conj, "maximum", "exclusiveMaximum", min)
        if low is not None or high is not None:
            bounded = st.floats(low, high, exclude_min=low_ex, exclude_max=high_ex, allow_nan=False)
            return float(self.draw(bounded))
        return cast(float, self.draw(_numbers(self.opts)))

    def _array(self, conj: Sequence[Mapping[str, Any]], key: str | None, depth: int) -> list[Any]:
        """An array: ``prefixItems``/``items``, a few items within ``minItems``/``maxItems``, ``uniqueItems``."""
        low = max([int(a["minItems"]) for a in conj if "minItems" in a], default=0)
        high = min([int(a["maxItems"]) for a in conj if "maxItems" in a], default=10**9)
        prefixes = [a["prefixItems"] for a in conj if "prefixItems" in a]
        items = [a["items"] for a in conj if "items" in a]
        cap = 1 if depth >= 3 else 3
        size = int(self.draw(_ints(low, max(low, min(high, low + cap)))))
        unique = any(a.get("uniqueItems") for a in conj)
        out: list[Any] = []
        seen: set[Any] = set()
        for index in range(size):
            schemas = [p[index] for p in prefixes if index < len(p)]
            if not schemas:
                schemas = items
            for _ in range(3 if unique else 1):
                value = self.value(schemas, key, depth + 1)
                marker = _json_key(value) if unique else None
                if marker not in seen:
                    break
            if unique:
                if marker in seen:
                    continue
                seen.add(marker)
            out.append(value)
        if len(out) < low:
            raise _Unsat
        return out

    def _string(self, conj: Sequence[Mapping[str, Any]], key: str | None) -> str:
        """A string: its format, pattern or name decides the kind; lengths and ``maxBytes`` are respected."""
        fmt = next((a["format"] for a in conj if "format" in a), None)
        patterns = [a["pattern"] for a in conj if "pattern" in a]
        min_len = max([int(a["minLength"]) for a in conj if "minLength" in a], default=0)
        max_len = min([int(a["maxLength"]) for a in conj if "maxLength" in a], default=10**9)
        max_bytes = min([int(a["maxBytes"]) for a in conj if "maxBytes" in a], default=10**9)
        limit_bytes = max_bytes if max_bytes < 10**9 else None
        draw = self.draw
        if fmt == "date-time":
            text = draw(_datetimes(self.opts))
        elif fmt == "email" or (key in _EMAIL_KEYS and not patterns):
            text = draw(_emails(self.opts, limit_bytes))
        elif patterns:
            text = draw(_regex(patterns[0]))
            if not all(re.search(p, text) for p in patterns):
                raise _Unsat
        elif self.opts.near_limits and limit_bytes is not None and self.index(3) == 0:
            text = self._near_limit_text(limit_bytes)
        elif key in _ID_KEYS:
            text = draw(_identifiers(self.opts))
        elif key in _TYPE_ID_KEYS:
            text = str(draw(_ints(1, 20)))
        elif key in _URL_KEYS:
            text = draw(_URLS)
        else:
            text = draw(_texts(self.opts))
        if not (fmt or patterns):
            text = text[: min(max_len, len(text))]
            if limit_bytes is not None:
                text = _truncate_bytes(text, limit_bytes)
            if len(text) < min_len:
                text += "x" * (min_len - len(text))
        if len(text) < min_len or len(text) > max_len or len(text.encode("utf-8")) > max_bytes:
            raise _Unsat
        return str(text)

    def _near_limit_text(self, limit: int) -> str:
        """A string of ``limit`` bytes or a few less, made mostly of multibyte characters."""
        target = max(0, limit - self.index(6))
        fill = self.choice(_MULTIBYTE)
        width = len(fill.encode("utf-8"))
        return str(fill * (target // width) + "a" * (target % width))


def _strategy(compiled: Any, options: _Options) -> SearchStrategy[Any]:
    """Values for one inlined schema, filtered by its validator."""

    @st.composite
    def build(draw: DrawFn) -> Any:
        try:
            return _Generator(draw, options).value([compiled])
        except _Unsat:
            reject()

    return build().filter(lambda v: _holds(compiled, v))


def from_schema(
    schema: str | Mapping[str, Any], *, tricky: bool = False, near_limits: bool = False
) -> SearchStrategy[Any]:
    r"""Values that satisfy a schema: a shipped one by name, a subschema of one, or one of your own.

    ``schema`` is a schema name as listed by :func:`cio_schemas.schema_names`
    (``track_v1/identify``), optionally followed by a JSON pointer into it
    (``common/track#/$defs/person_identifiers``), or a JSON Schema given as a
    mapping, whose ``$ref``\ s may point into the shipped schemas relative to
    ``https://cio-schemas.dev/schemas/`` (``"common/track.json#/$defs/device_platform"``).
    See the module docstring for the keywords understood and for ``tricky``
    and ``near_limits``. Raises :class:`~cio_schemas.errors.NoSuchSchemaError`
    for an unknown name or a ``$ref`` to nothing.
    """
    if not isinstance(schema, (str, Mapping)):
        raise InvalidArgumentError(
            "from_schema() takes a schema name (see cio_schemas.schema_names()) or a JSON Schema mapping, "
            f"not {InvalidArgumentError.describe(schema)}",
            "schema",
            schema,
        )
    compiled = _compiled(schema) if isinstance(schema, str) else _registry().inline(schema, annotations=False)
    _warm_unicode_tables()
    return _strategy(compiled, _Options(tricky, near_limits))


def _warm_unicode_tables() -> None:
    """Build Hypothesis' Unicode tables now, while the strategy is made, not during the first draw.

    The first text drawn on a machine (or in a folder without ``.hypothesis/``)
    makes Hypothesis compute its character map, about a second; inside a test
    that counts as slow generation and fails the ``too_slow`` health check.
    Building it here keeps it out of the timed draws. Best effort: the helper
    is internal to Hypothesis, and without it nothing changes but the timing.
    """
    try:
        from hypothesis.internal.charmap import charmap, intervals_from_codec

        charmap()
        intervals_from_codec("utf-8")
    except Exception:  # pragma: no cover - another Hypothesis version
        pass


def bodies(schema_name: str | Route, *, tricky: bool = False, near_limits: bool = False) -> SearchStrategy[Any]:
    """Valid request bodies for a schema name (``pipelines/identify``) or for a :class:`~cio_schemas.Route`.

    Body-less routes give ``None`` or ``{}``. Every body validates against
    the schema with the library's validator.
    """
    name = schema_name.schema if isinstance(schema_name, Route) else schema_name
    if not isinstance(name, str):
        raise InvalidArgumentError(
            "bodies() takes a schema name (pipelines/identify) or a Route, "
            f"not {InvalidArgumentError.describe(schema_name)}",
            "schema_name",
            schema_name,
        )
    return from_schema(name, tricky=tricky, near_limits=near_limits)


# -- path parameters and requests ------------------------------------------------------------------------------------


def _non_blank(text: str, limit: int | None = None) -> str:
    """``text`` with an ``x`` in front when it is blank or a dot-segment, cut to ``limit`` bytes."""
    if not text.strip() or text in (".", ".."):
        text = "x" + text
    return text if limit is None else _truncate_bytes(text, limit)


@cache
def path_parameters(name: str, *, tricky: bool = False, near_limits: bool = False) -> SearchStrategy[str]:
    """Values for a route's path parameter ``name`` (``identifier``, ``device_id``, ``segment_id`` …).

    They are the decoded values (``user@example.com``); :func:`~cio_schemas.build_path`
    percent-encodes them. Identifiers are at most 150 bytes, no value is blank
    or a dot-segment (``.``, ``..``: no path can carry those), and
    ``segment_id`` is a 32-bit integer written in digits.
    """
    options = _Options(tricky, near_limits)
    if name == "segment_id":
        return st.integers(0, 2**31 - 1).map(str)

    limit = ID_BYTES if name == "identifier" else None
    if name == "identifier":
        values: SearchStrategy[str] = (
            _identifiers(options)
            | _emails(options, limit)
            | st.text("0123456789abcdef", min_size=6, max_size=16).map(lambda h: "cio_" + h)
        )
    elif name == "device_id":
        values = st.text(string.hexdigits, min_size=16, max_size=64) | _identifiers(options)
    elif name == "delivery_id":
        values = st.text(string.ascii_letters + string.digits + "=_-", min_size=8, max_size=40)
    else:
        values = _identifiers(options)
    if tricky:
        values = values | st.sampled_from(_TRICKY_STRINGS) | _TEXT
    if near_limits and limit is not None:
        values = values | st.builds(
            lambda fill, slack: fill * ((limit - slack) // len(fill.encode())), st.sampled_from(_MULTIBYTE), _ints(0, 5)
        )
    return values.map(lambda v: _non_blank(v, limit))


def _routes(api: str | None, route: Route | str | None) -> list[Route]:
    """The routes ``requests`` draws from."""
    if api is not None and api not in APIS:
        raise InvalidArgumentError(
            f"requests() takes api as one of {', '.join(map(repr, APIS))}, not {InvalidArgumentError.describe(api)}",
            "api",
            api,
        )
    if route is not None:
        if isinstance(route, Route):
            found = [route]
        else:
            found = [r for r in ROUTES if route in (r.name, r.schema, f"{r.method} {r.template}")]
        if not found:
            raise UnknownRouteError("", str(route), [r.name for r in ROUTES])
        if api is not None and any(r.api != api for r in found):
            raise InvalidArgumentError(
                f"requests() got route {route!r}, which is not a {api} route; pass one or the other", "api", api
            )
        return found
    if api is None:
        return list(ROUTES)
    return [r for r in ROUTES if r.api == api]


@cache
def _route_requests(route: Route, options: _Options) -> SearchStrategy[Request]:
    """Requests for one route (not yet filtered through :func:`~cio_schemas.is_valid`)."""
    compiled = _compiled(route.schema)

    @st.composite
    def build(draw: DrawFn) -> Request:
        params = {
            p: draw(path_parameters(p, tricky=options.tricky, near_limits=options.near_limits)) for p in route.params
        }
        try:
            body = _Generator(draw, options).value([compiled])
        except _Unsat:
            reject()
        return Request(route.method, build_path(route.template, **params), body)

    return build()


def requests(
    api: str | None = None,
    route: Route | str | None = None,
    *,
    tricky: bool = False,
    near_limits: bool = False,
) -> SearchStrategy[Request]:
    """Valid :class:`~cio_schemas.Request` values: for every route, for one ``api``, or for one ``route``.

    ``api`` is ``"track-v1"``, ``"track-v2"`` or ``"pipelines"``; ``route`` is
    a :class:`~cio_schemas.Route`, a route name (``"PUT /api/v1/customers/{identifier}"``)
    or a route's schema name (``"track_v1/identify"``). Path parameters are
    realistic identifiers, percent-encoded with :func:`~cio_schemas.build_path`.
    Every request generated passes :func:`cio_schemas.is_valid`. Raises
    :class:`~cio_schemas.errors.UnknownRouteError` for an unknown API or route.
    """
    options = _Options(tricky, near_limits)
    chosen = _routes(api, route)
    _warm_unicode_tables()
    strategy = st.one_of([_route_requests(r, options) for r in chosen])
    return strategy.filter(is_valid)
