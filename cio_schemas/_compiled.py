"""Verdict-only validation: a self-contained schema compiled into nested Python closures.

:func:`compile_schema` turns a schema without ``$ref`` (what
:meth:`~cio_schemas.registry.SchemaRegistry.bundled` returns) into a function
that answers "valid?" with exactly the verdict of ``jsonschema`` under the
registry's :data:`~cio_schemas.registry.CioValidator` and
:data:`~cio_schemas.registry.FORMAT_CHECKER`, an order of magnitude faster. It
gives no report: when the answer is "invalid", ``jsonschema`` explains why.

How it works
------------
Every subschema becomes one function per exact Python type a decoded JSON
value has (``str``, ``dict``, ``list``, ``int``, ``float``, ``bool``,
``None``), holding only the checks that apply to that type: ``properties``
only for ``dict``, ``items`` only for ``list``, nothing at all when ``type``
rules the type out. A schema's entry point dispatches on ``type(instance)``
with ``is`` checks for the types it accepts; ``allOf``, ``anyOf``, ``not`` and
``if``/``then``/``else`` combine their subschemas' functions for the same
type, so a conditional that only looks at objects costs nothing for a string.
Equal subschemas (the bundled schemas repeat every shared definition) are
compiled once per :class:`Compiler`.

Any other value (a subclass of those types, a tuple, a ``Decimal`` …) takes a
generic path that follows ``jsonschema`` keyword by keyword: its type checker
(``isinstance``: a ``str`` subclass is a string, a tuple is an array) and
its ``equal`` for ``enum`` and ``const`` (``True`` is not ``1``, ``1`` is
``1.0``).

Keywords: ``type``, ``enum``, ``const``, ``format`` (through the format
checker's table: a format it does not know always passes), ``maxBytes``,
``properties``, ``required``, ``additionalProperties``, ``propertyNames``,
``minProperties``, ``maxProperties``, ``items`` (every element, as in Draft
2020-12 without ``prefixItems``), ``minItems``, ``maxItems``, ``allOf``,
``anyOf``, ``not``, ``if``/``then``/``else``, and the boolean schemas. Any
other keyword raises :class:`UnsupportedSchemaError` (so that none is ever
silently ignored), except the annotations in :data:`IGNORED`.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import FormatChecker
from jsonschema._utils import equal as _equal

from .registry import FORMAT_CHECKER, CioValidator, _is_datetime, _is_email, json_byte_length

__all__ = [
    "compile_schema",
    "Compiler",
    "CompiledValidator",
    "UnsupportedSchemaError",
    "KEYWORDS",
    "IGNORED",
]

Check = Callable[[Any], bool]

#: The keywords :func:`compile_schema` understands.
KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "format",
        "maxBytes",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "allOf",
        "anyOf",
        "not",
        "if",
        "then",
        "else",
    }
)

#: Keywords that never change a verdict (annotations, and what bundling leaves behind).
IGNORED = frozenset(
    {
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
        "$id",
        "$defs",
    }
)


class UnsupportedSchemaError(ValueError):
    """A schema :func:`compile_schema` cannot compile: an unknown keyword, a ``$ref``, a malformed value."""


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


_NONE = type(None)
#: The exact types of decoded JSON values, most frequent first (the order of the ``is`` checks).
_KINDS: tuple[type, ...] = (str, dict, _NONE, bool, int, float, list)
_EXACT = frozenset(_KINDS)
_PLAIN = (str, int, float, bool, _NONE, list, dict)
_is_type = CioValidator.TYPE_CHECKER.is_type
_TYPE_NAMES = frozenset({"string", "object", "array", "integer", "number", "boolean", "null"})
#: Format functions that pass every non-string and return a bool.
_STRING_FORMATS = (_is_datetime, _is_email)
_BIG = sys.maxsize

# Cost ranks: cheap checks run first (the order of evaluation never changes a verdict).
_CHEAP, _OBJECT, _LOGIC = 0, 1, 2


def _all(checks: Iterable[Check]) -> Check:
    """One function that is True when every check is (``_always`` / ``_never`` folded away)."""
    todo = [c for c in checks if c is not _always]
    if any(c is _never for c in todo):
        return _never
    if not todo:
        return _always
    if len(todo) == 1:
        return todo[0]
    if len(todo) == 2:
        a, b = todo
        return lambda x: a(x) and b(x)
    if len(todo) == 3:
        a, b, c = todo
        return lambda x: a(x) and b(x) and c(x)
    chain = tuple(todo)

    def every(x: Any) -> bool:
        for check in chain:  # noqa: SIM110 - a loop, not all() over a generator made per call
            if not check(x):
                return False
        return True

    return every


def _any(checks: Iterable[Check]) -> Check:
    """One function that is True when some check is."""
    todo = [c for c in checks if c is not _never]
    if any(c is _always for c in todo):
        return _always
    if not todo:
        return _never
    if len(todo) == 1:
        return todo[0]
    if len(todo) == 2:
        a, b = todo
        return lambda x: a(x) or b(x)
    chain = tuple(todo)

    def some(x: Any) -> bool:
        for check in chain:  # noqa: SIM110 - a loop, not any() over a generator made per call
            if check(x):
                return True
        return False

    return some


def _negate(check: Check) -> Check:
    if check is _always:
        return _never
    if check is _never:
        return _always
    return lambda x: not check(x)


def _branch(cond: Check, then: Check, else_: Check) -> Check:
    if cond is _always:
        return then
    if cond is _never:
        return else_
    if then is _always and else_ is _always:
        return _always
    if else_ is _always:
        return lambda x: not cond(x) or then(x)
    if then is _always:
        return lambda x: cond(x) or else_(x)
    return lambda x: then(x) if cond(x) else else_(x)


class _Node:
    """A compiled subschema: one function per exact type, a generic one, and the dispatching entry point."""

    __slots__ = ("check", "generic", "kinds")

    def __init__(self, kinds: dict[type, Check], generic: Check, check: Check) -> None:
        self.kinds = kinds
        self.generic = generic
        self.check = check


_ALWAYS = _Node(dict.fromkeys(_KINDS, _always), _always, _always)
_NEVER = _Node(dict.fromkeys(_KINDS, _never), _never, _never)


class _Parts:
    """The checks of one schema object while it is compiled, per exact type and for the generic path."""

    def __init__(self) -> None:
        self.kinds: dict[type, list[tuple[int, Check]]] = {k: [] for k in _KINDS}
        self.generic: list[tuple[int, Check]] = []
        #: What each check is (``("maxBytes", limit)`` …), so that a one-check entry point can be written out.
        self.leaves: dict[type, list[tuple[str, Any]]] = {k: [] for k in _KINDS}

    def add(self, kind: type, check: Check, rank: int = _CHEAP, leaf: tuple[str, Any] = ("", None)) -> None:
        if check is not _always:
            self.kinds[kind].append((rank, check))
            self.leaves[kind].append(leaf)

    def add_each(self, checks: Mapping[type, Check], rank: int) -> None:
        for kind in _KINDS:
            self.add(kind, checks[kind], rank)

    def add_generic(self, check: Check, rank: int = _CHEAP) -> None:
        if check is not _always:
            self.generic.append((rank, check))

    def node(self) -> _Node:
        kinds = {k: _all(c for _, c in sorted(v, key=lambda rc: rc[0])) for k, v in self.kinds.items()}
        generic = _all(c for _, c in sorted(self.generic, key=lambda rc: rc[0]))
        live = [k for k in _KINDS if kinds[k] is not _never]
        leaf = self.leaves[live[0]][0] if len(live) == 1 and len(self.leaves[live[0]]) == 1 else ("", None)
        return _Node(kinds, generic, _entry(kinds, generic, leaf))


def _entry(kinds: Mapping[type, Check], generic: Check, leaf: tuple[str, Any]) -> Check:
    """The dispatching function: ``is`` checks on ``type(instance)`` for the types the schema accepts."""
    live = [k for k in _KINDS if kinds[k] is not _never]
    if generic is _never:
        rest: Check = _never
    elif len(live) == len(_KINDS):
        rest = generic
    else:

        def rest(x: Any) -> bool:
            return type(x) not in _EXACT and generic(x)

    if not live:
        return rest
    if all(kinds[k] is _always for k in live):
        if len(live) == len(_KINDS) and generic is _always:
            return _always
        if len(live) == 1:
            only = live[0]
            return lambda x: type(x) is only or rest(x)
        accepted = frozenset(live)
        return lambda x: type(x) in accepted or rest(x)
    if len(live) == 1:
        only = live[0]
        check = kinds[only]
        if only is str:
            inlined = _inline_string(leaf, rest)
            if inlined is not None:
                return inlined
        if only is dict and leaf[0] == "object":
            props, required, extra, low, high, names = leaf[1]
            return _object(props, required, extra, low, high, names, rest)
        return lambda x: check(x) if type(x) is only else rest(x)
    get = dict(kinds).get

    def dispatch(x: Any) -> bool:
        check = get(type(x))
        if check is None:
            return generic(x)
        return check(x)

    return dispatch


def _inline_string(leaf: tuple[str, Any], rest: Check) -> Check | None:
    """The entry point of a string-only schema with one check, written out (one call per value, not two)."""
    what, arg = leaf
    if what == "maxBytes":
        limit, quarter = arg, arg // 4

        def max_bytes(x: Any) -> bool:
            if type(x) is str:
                n = len(x)
                if n <= quarter:
                    return True
                if n > limit:
                    return False
                return x.isascii() or len(x.encode("utf-8", "surrogatepass")) <= limit
            return rest(x)

        return max_bytes
    if what == "enum":
        names: frozenset[str] = arg
        return lambda x: x in names if type(x) is str else rest(x)
    if what == "const":
        value: str = arg
        return lambda x: x == value if type(x) is str else rest(x)
    if what == "format":
        func: Check = arg
        return lambda x: func(x) if type(x) is str else rest(x)
    return None


def _string_max_bytes(limit: int) -> Check:
    quarter = limit // 4

    def check(x: str) -> bool:
        n = len(x)
        if n <= quarter:
            return True
        if n > limit:
            return False
        return x.isascii() or len(x.encode("utf-8", "surrogatepass")) <= limit

    return check


def _object(
    props: Mapping[str, Check],
    required: tuple[Any, ...],
    extra: Check | None,
    low: int,
    high: int,
    names: Check | None,
    rest: Check | None = None,
) -> Check:
    """``properties``, ``required``, ``additionalProperties``, ``propertyNames`` and the property counts, fused.

    For a ``dict``; with ``rest``, an entry point that sends every other value to ``rest``.
    """
    checked = {k: c for k, c in props.items() if c is not _always}
    items = tuple(checked.items())
    size = len(items)
    # With additionalProperties, each key is looked up among all the named properties (those that
    # always pass map to None), falling back to the additional schema.
    lookup = {k: (None if c is _always else c) for k, c in props.items()}.get if extra is not None else checked.get

    def check(x: Any) -> bool:
        if rest is not None and type(x) is not dict:
            return rest(x)
        n = len(x)
        if n < low or n > high:
            return False
        for key in required:
            if key not in x:
                return False
        if extra is not None:
            for key, value in x.items():
                found = lookup(key, extra)
                if found is not None and not found(value):
                    return False
        elif n < size:
            for key, value in x.items():
                found = lookup(key)
                if found is not None and not found(value):
                    return False
        else:
            for key, found in items:
                if key in x and not found(x[key]):
                    return False
        if names is not None:
            for key in x:
                if not names(key):
                    return False
        return True

    return check


def _object_generic(
    props: Mapping[str, Check], required: tuple[Any, ...], extra: Check | None, low: int, high: int, names: Check | None
) -> Check:
    """The object keywords as ``jsonschema`` applies them, to anything that is a ``dict`` (subclasses too)."""

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        n = len(x)
        if n < low or n > high:
            return False
        for key in required:
            if key not in x:
                return False
        for key, found in props.items():
            if key in x and not found(x[key]):
                return False
        if extra is not None:
            for key in x:
                if key not in props and not extra(x[key]):
                    return False
        if names is not None:
            for key in x:
                if not names(key):
                    return False
        return True

    return check


def _array(item: Check | None, low: int, high: int) -> Check:
    def check(x: list[Any]) -> bool:
        n = len(x)
        if n < low or n > high:
            return False
        return item is None or all(map(item, x))

    return check


def _array_generic(item: Check | None, low: int, high: int) -> Check:
    def check(x: Any) -> bool:
        if not _is_type(x, "array"):
            return True
        n = len(x)
        if n < low or n > high:
            return False
        return item is None or all(item(x[i]) for i in range(n))

    return check


def _count(schema: Mapping[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnsupportedSchemaError(f"{key} must be a non-negative integer, not {value!r}")
    return value


class Compiler:
    """Compiles schemas, sharing the work between equal subschemas (keep one for many related schemas)."""

    def __init__(self, format_checker: FormatChecker = FORMAT_CHECKER) -> None:
        self._formats = format_checker
        self._memo: dict[str, _Node] = {}

    def compile(self, schema: Any) -> Check:
        """The verdict function of ``schema``: True when ``jsonschema`` would find no error."""
        return self._node(schema).check

    def _node(self, schema: Any) -> _Node:
        if schema is True:
            return _ALWAYS
        if schema is False:
            return _NEVER
        if not isinstance(schema, Mapping):
            raise UnsupportedSchemaError(f"a schema is an object or a boolean, not {schema!r}")
        try:
            key: str | None = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            key = None
        if key is not None and key in self._memo:
            return self._memo[key]
        node = self._build(schema)
        if key is not None:
            self._memo[key] = node
        return node

    def _build(self, schema: Mapping[str, Any]) -> _Node:
        unknown = sorted(str(k) for k in schema if k not in KEYWORDS and k not in IGNORED)
        if unknown:
            raise UnsupportedSchemaError(f"cannot compile the keyword(s) {', '.join(unknown)}")
        parts = _Parts()
        if "type" in schema:
            self._type(parts, schema["type"])
        if "maxBytes" in schema:
            self._max_bytes(parts, schema["maxBytes"])
        if "enum" in schema:
            self._enum(parts, schema["enum"])
        if "const" in schema:
            self._const(parts, copy.deepcopy(schema["const"]))
        if "format" in schema:
            self._format(parts, schema["format"])
        self._object(parts, schema)
        self._array(parts, schema)
        for key in ("allOf", "anyOf"):
            if key in schema:
                branches = schema[key]
                if not isinstance(branches, list) or not branches:
                    raise UnsupportedSchemaError(f"{key} must be a non-empty array of schemas")
                nodes = [self._node(b) for b in branches]
                if key == "allOf":
                    for n in nodes:
                        parts.add_each(n.kinds, _LOGIC)
                        parts.add_generic(n.check, _LOGIC)
                else:
                    parts.add_each({k: _any(n.kinds[k] for n in nodes) for k in _KINDS}, _LOGIC)
                    parts.add_generic(_any(n.check for n in nodes), _LOGIC)
        if "not" in schema:
            node = self._node(schema["not"])
            parts.add_each({k: _negate(node.kinds[k]) for k in _KINDS}, _LOGIC)
            parts.add_generic(_negate(node.check), _LOGIC)
        if "if" in schema:  # "then" and "else" without "if" do nothing
            cond = self._node(schema["if"])
            then = self._node(schema["then"]) if "then" in schema else _ALWAYS
            else_ = self._node(schema["else"]) if "else" in schema else _ALWAYS
            parts.add_each({k: _branch(cond.kinds[k], then.kinds[k], else_.kinds[k]) for k in _KINDS}, _LOGIC)
            parts.add_generic(_branch(cond.check, then.check, else_.check), _LOGIC)
        return parts.node()

    @staticmethod
    def _type(parts: _Parts, value: Any) -> None:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPE_NAMES for n in names):
            raise UnsupportedSchemaError(f"type must name JSON types, not {value!r}")
        accepted = frozenset(names)
        for kind, name in ((str, "string"), (dict, "object"), (list, "array"), (bool, "boolean"), (_NONE, "null")):
            if name not in accepted:
                parts.add(kind, _never)
        if not accepted & {"integer", "number"}:
            parts.add(int, _never)
        if "number" not in accepted:
            parts.add(float, float.is_integer if "integer" in accepted else _never)
        order = tuple(names)  # even all seven names leave out bytes, sets …
        parts.add_generic(lambda x: any(_is_type(x, name) for name in order))

    @staticmethod
    def _max_bytes(parts: _Parts, limit: Any) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise UnsupportedSchemaError(f"maxBytes must be an integer, not {limit!r}")

        def measured(x: Any) -> bool:
            return json_byte_length(x) <= limit

        parts.add(str, _string_max_bytes(limit), leaf=("maxBytes", limit))
        parts.add(int, lambda x: len(str(x)) <= limit)
        parts.add(bool, _always if limit >= 5 else (lambda x: x is True) if limit == 4 else _never)
        parts.add(_NONE, _always if limit >= 4 else _never)
        for kind in (float, dict, list):
            parts.add(kind, measured)
        parts.add_generic(measured)

    @staticmethod
    def _enum(parts: _Parts, value: Any) -> None:
        if not isinstance(value, list):
            raise UnsupportedSchemaError(f"enum must be an array, not {value!r}")
        members = tuple(copy.deepcopy(value))

        def matches(x: Any) -> bool:
            for member in members:  # noqa: SIM110 - a loop, not any() over a generator made per call
                if _equal(member, x):
                    return True
            return False

        if all(type(m) in _PLAIN for m in members):
            # equal(member, s) for a str s is member == s: only an equal str matches.
            strings = frozenset(m for m in members if type(m) is str)
            parts.add(str, (lambda x: x in strings) if strings else _never, leaf=("enum", strings))
        else:
            parts.add(str, matches)
        parts.add(bool, _from_constants(matches(True), matches(False)))
        parts.add(_NONE, _always if matches(None) else _never)
        for kind in (int, float, dict, list):
            parts.add(kind, matches)
        parts.add_generic(matches)

    @staticmethod
    def _const(parts: _Parts, value: Any) -> None:
        def matches(x: Any) -> bool:
            return bool(_equal(x, value))

        if type(value) is str:
            parts.add(str, lambda x: x == value, leaf=("const", value))
        elif type(value) in _PLAIN:
            parts.add(str, _never)
        else:
            parts.add(str, matches)
        parts.add(bool, _from_constants(matches(True), matches(False)))
        parts.add(_NONE, _always if matches(None) else _never)
        for kind in (int, float, dict, list):
            parts.add(kind, matches)
        parts.add_generic(matches)

    def _format(self, parts: _Parts, name: Any) -> None:
        if not isinstance(name, str):
            raise UnsupportedSchemaError(f"format must be a string, not {name!r}")
        if name not in self._formats.checkers:
            return  # like jsonschema: a format the checker does not know always passes
        func, raises = self._formats.checkers[name]
        if func in _STRING_FORMATS:
            parts.add(str, func, leaf=("format", func))
            parts.add_generic(func)
            return

        def conforms(x: Any) -> bool:
            try:
                return bool(func(x))
            except raises:
                return False

        parts.add(str, conforms)
        for kind in _KINDS[1:]:
            parts.add(kind, conforms)
        parts.add_generic(conforms)

    def _object(self, parts: _Parts, schema: Mapping[str, Any]) -> None:
        keys = ("properties", "required", "additionalProperties", "propertyNames", "minProperties", "maxProperties")
        if not any(k in schema for k in keys):
            return
        raw = schema.get("properties", {})
        required = schema.get("required", [])
        if not (isinstance(raw, Mapping) and isinstance(required, list) and all(isinstance(r, str) for r in required)):
            raise UnsupportedSchemaError("properties must be an object of schemas, required an array of names")
        props = {k: self._node(v).check for k, v in raw.items()}
        extra = self._node(schema["additionalProperties"]).check if "additionalProperties" in schema else None
        if extra is _always:
            extra = None
        names = self._node(schema["propertyNames"]).check if "propertyNames" in schema else None
        if names is _always:
            names = None
        low = _count(schema, "minProperties") or 0
        high = _count(schema, "maxProperties")
        high = _BIG if high is None else high
        fixed = tuple(dict.fromkeys(required))
        if not props and not fixed and extra is None and names is None and low == 0 and high == _BIG:
            return
        args = (props, fixed, extra, low, high, names)
        parts.add(dict, _object(*args), _OBJECT, leaf=("object", args))
        parts.add_generic(_object_generic(props, fixed, extra, low, high, names), _OBJECT)

    def _array(self, parts: _Parts, schema: Mapping[str, Any]) -> None:
        if not any(k in schema for k in ("items", "minItems", "maxItems")):
            return
        item = self._node(schema["items"]).check if "items" in schema else None
        if item is _always:
            item = None
        low = _count(schema, "minItems") or 0
        high = _count(schema, "maxItems")
        high = _BIG if high is None else high
        if item is None and low == 0 and high == _BIG:
            return
        parts.add(list, _array(item, low, high), _OBJECT)
        parts.add_generic(_array_generic(item, low, high), _OBJECT)


def _from_constants(if_true: bool, if_false: bool) -> Check:
    """A check on a bool whose answer for each of the two values is known."""
    if if_true and if_false:
        return _always
    if if_true:
        return lambda x: x is True
    if if_false:
        return lambda x: x is False
    return _never


def compile_schema(schema: Any) -> Check:
    """The verdict function of a self-contained schema: True exactly when ``jsonschema`` finds no error.

    Raises :class:`UnsupportedSchemaError` for a keyword it does not implement
    (a ``$ref`` included: inline them first with
    :meth:`~cio_schemas.registry.SchemaRegistry.bundled`).
    """
    return Compiler().compile(schema)


class CompiledValidator:
    """A compiled schema with the ``is_valid(instance)`` of a validator (a verdict, no report)."""

    __slots__ = ("is_valid",)

    is_valid: Check

    def __init__(self, schema: Any, compiler: Compiler | None = None) -> None:
        self.is_valid = (compiler or Compiler()).compile(schema)
