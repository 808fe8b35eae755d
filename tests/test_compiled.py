"""The compiled schemas (``cio_schemas._compiled``) give exactly ``jsonschema``'s verdicts.

(a) Property-based: bodies from the library's own strategies for every shipped
    schema, then mutated (values replaced by odd ones, keys removed or added,
    containers turned into tuples, ``OrderedDict`` or ``str`` subclasses), and
    odd values against every distinct subschema of the shipped schemas.
(b) Tables on the subtle points: ``True`` is not ``1``, ``1.0`` is an integer,
    a tuple is an array, ``str`` subclasses are strings, ``maxBytes``
    measures every type, object and array keywords ignore other types, and an
    unknown keyword is refused rather than ignored.
(c) The registry: every verdict schema compiles, and ``CIO_SCHEMAS_ENGINE``
    picks the engine.

The ``fast`` hypothesis profile keeps this to a few hundred examples;
``CIO_SCHEMAS_HYPOTHESIS=thorough`` runs many more.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from conftest import json_paths
from hypothesis import given, settings
from hypothesis import strategies as st

from cio_schemas import Request, get_schema, iter_errors
from cio_schemas import strategies as cio
from cio_schemas._compiled import (
    IGNORED,
    KEYWORDS,
    CompiledValidator,
    Compiler,
    UnsupportedSchemaError,
    compile_schema,
)
from cio_schemas.catalog import ROUTES
from cio_schemas.registry import FORMAT_CHECKER, CioValidator, SchemaRegistry, _registry, schema_names

REG = _registry()
NAMES = schema_names()
COMPILER = Compiler()
#: Each schema gets a share of the profile's examples (5 each in the fast profile: ~300 in all).
PER_SCHEMA = settings(max_examples=max(5, settings().max_examples // 12))


class Text(str):
    """A ``str`` subclass: a string for jsonschema, not a plain ``str`` for the compiled fast path."""


class Number(int):
    """An ``int`` subclass."""


class Real(float):
    """A ``float`` subclass."""


def jsonschema_verdict(schema: Any, instance: Any) -> bool:
    return bool(CioValidator(schema, format_checker=FORMAT_CHECKER).is_valid(instance))


def compiled_verdict(schema: Any, instance: Any) -> bool:
    verdict = compile_schema(schema)(instance)
    assert type(verdict) is bool
    return verdict


# -- the vocabulary of the shipped schemas ---------------------------------------------------------------------------
def _subschemas(node: Any) -> Iterator[Any]:
    """Every schema inside a bundled schema, itself included."""
    yield node
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "properties":
            for sub in value.values():
                yield from _subschemas(sub)
        elif key in ("allOf", "anyOf"):
            for sub in value:
                yield from _subschemas(sub)
        elif key in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else"):
            yield from _subschemas(value)


def _words(schema: Any) -> list[str]:
    """The strings a schema names (constants, enum members, property names), to aim mutations at its branches."""
    found: set[str] = set()
    for node in _subschemas(schema):
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            found.update(node.get("required", []))
            found.update(v for v in node.get("enum", []) if isinstance(v, str))
            if isinstance(node.get("const"), str):
                found.add(node["const"])
    return sorted(found)


BUNDLED = {name: REG.bundled(name, annotations=False) for name in NAMES}
WORDS = sorted({w for s in BUNDLED.values() for w in _words(s)})
DISTINCT = {json.dumps(sub, sort_keys=True): sub for s in BUNDLED.values() for sub in _subschemas(s)}
SUBSCHEMAS = [DISTINCT[k] for k in sorted(DISTINCT)]

# -- odd values ------------------------------------------------------------------------------------------------------
DATES = [
    "2024-04-26T13:42:19.123Z",
    "2024-04-26T13:42:19+02:00",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-04-26 13:42:19Z",
    "2024-04-26",
]
EDGES = [True, False, 0, 1, -1, 1.0, 0.0, 2.5, 1e300, float("inf"), float("nan"), None, "", "@", "a@b", [], {}]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(EDGES + DATES + WORDS)
    # around the byte limits (150, 1000 …), in multibyte characters too
    | st.builds(lambda n, c: c * n, st.integers(0, 1100), st.sampled_from(["a", "é", "€", "😀"]))
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), inner),
    max_leaves=10,
)


def _exotic(value: Any) -> Any:
    """The same value as a type jsonschema accepts but the compiled fast path does not see as plain JSON."""
    kind = type(value)
    if kind is str:
        return Text(value)
    if kind is int:
        return Number(value)
    if kind is float:
        return Real(value)
    if kind is list:
        return tuple(value)
    if kind is dict:
        return OrderedDict(value)
    return value


odd_values = json_values | json_values.map(_exotic)


# -- mutations -------------------------------------------------------------------------------------------------------
def _mutate(data: st.DataObject, value: Any) -> Any:
    """``value`` with one change somewhere inside it (a copy: ``value`` is not modified)."""
    value = copy.deepcopy(value)
    path = data.draw(st.sampled_from(list(json_paths(value))), label="path")
    parent: Any = None
    node = value
    for step in path:
        parent, node = node, node[step]
    action = data.draw(st.sampled_from(["replace", "exotic", "delete", "add"]), label="action")
    if action == "replace":
        new = data.draw(odd_values, label="new value")
    elif action == "exotic":
        new = _exotic(node)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
        return value
    elif action == "add" and isinstance(node, dict):
        node[data.draw(st.sampled_from(WORDS), label="key")] = data.draw(odd_values, label="added value")
        return value
    else:
        return value
    if parent is None:
        return new
    parent[path[-1]] = new
    return value


def _same(name: str, instance: Any) -> bool:
    slow = bool(REG.validator(name).is_valid(instance))
    fast = COMPILER.compile(BUNDLED[name])(instance)
    assert fast is slow, (name, instance)
    return slow


@PER_SCHEMA
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_strategy_bodies_and_their_mutations(name: str, data: st.DataObject) -> None:
    body = data.draw(cio.from_schema(name, tricky=data.draw(st.booleans(), label="tricky")), label="body")
    assert _same(name, body)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        body = _mutate(data, body)
        _same(name, body)


@settings(max_examples=settings().max_examples * 3)
@given(data=st.data())
def test_odd_values_against_every_subschema(data: st.DataObject) -> None:
    schema = data.draw(st.sampled_from(SUBSCHEMAS), label="schema")
    value = data.draw(odd_values, label="value")
    assert COMPILER.compile(schema)(value) is jsonschema_verdict(schema, value), (schema, value)


def test_the_subschemas_are_many_and_varied() -> None:
    assert len(SUBSCHEMAS) > 100
    used = {k for s in SUBSCHEMAS if isinstance(s, dict) for k in s}
    assert {"maxBytes", "enum", "const", "format", "if", "anyOf", "additionalProperties"} <= used


# -- tables ----------------------------------------------------------------------------------------------------------
TABLE: list[tuple[str, Any, Any, bool]] = [
    # enum / const: jsonschema's equality (True is not 1, 1 is 1.0, recursively)
    ("enum 1 vs True", {"enum": [1]}, True, False),
    ("enum True vs 1", {"enum": [True]}, 1, False),
    ("enum 0 vs False", {"enum": [0, "x"]}, False, False),
    ("enum False", {"enum": [0, False]}, False, True),
    ("enum 1 vs 1.0", {"enum": [1]}, 1.0, True),
    ("enum None", {"enum": ["a", None]}, None, True),
    ("enum None absent", {"enum": ["a"]}, None, False),
    ("enum nested True", {"enum": [[1, 2]]}, [1, True], False),
    ("enum nested 1.0", {"enum": [[1, 2]]}, [1.0, 2], True),
    ("enum dict True", {"enum": [{"a": 1}]}, {"a": True}, False),
    ("enum dict", {"enum": [{"a": 1}]}, {"a": 1.0}, True),
    ("enum tuple", {"enum": [[1, 2]]}, (1, 2), True),
    ("enum str subclass", {"enum": ["a", "b"]}, Text("b"), True),
    ("enum str subclass absent", {"enum": ["a", "b"]}, Text("c"), False),
    ("enum str vs int", {"enum": ["1"]}, 1, False),
    ("const 1 vs True", {"const": 1}, True, False),
    ("const True vs 1", {"const": True}, 1, False),
    ("const False vs 0", {"const": False}, 0, False),
    ("const True", {"const": True}, True, True),
    ("const 1 vs 1.0", {"const": 1}, 1.0, True),
    ("const string", {"const": "identify"}, "identify", True),
    ("const string other", {"const": "identify"}, "track", False),
    ("const string vs list", {"const": "identify"}, ["identify"], False),
    ("const str subclass", {"const": "identify"}, Text("identify"), True),
    ("const null", {"const": None}, None, True),
    ("const null vs False", {"const": None}, False, False),
    ("const list vs tuple", {"const": ["a"]}, ("a",), True),
    # type
    ("integer 1.0", {"type": "integer"}, 1.0, True),
    ("integer 1.5", {"type": "integer"}, 1.5, False),
    ("integer True", {"type": "integer"}, True, False),
    ("integer inf", {"type": "integer"}, float("inf"), False),
    ("integer int subclass", {"type": "integer"}, Number(3), True),
    ("integer float subclass", {"type": "integer"}, Real(3.0), True),
    ("integer Decimal", {"type": "integer"}, Decimal(3), False),
    ("number True", {"type": "number"}, True, False),
    ("number Decimal", {"type": "number"}, Decimal("1.5"), True),
    ("number nan", {"type": "number"}, float("nan"), True),
    ("boolean 1", {"type": "boolean"}, 1, False),
    ("boolean", {"type": ["string", "boolean"]}, False, True),
    ("null", {"type": ["string", "null"]}, None, True),
    ("null vs empty", {"type": "null"}, "", False),
    ("array tuple", {"type": "array"}, (1, 2), True),
    ("array list", {"type": "array"}, [1, 2], True),
    ("object OrderedDict", {"type": "object"}, OrderedDict(a=1), True),
    ("object list", {"type": "object"}, [], False),
    ("string subclass", {"type": "string"}, Text("x"), True),
    ("string bytes", {"type": "string"}, b"x", False),
    ("empty type list", {"type": []}, "x", False),
    (
        "every type but bytes",
        {"type": ["string", "object", "array", "integer", "number", "boolean", "null"]},
        b"x",
        False,
    ),
    ("every type, a set", {"type": ["string", "object", "array", "integer", "number", "boolean", "null"]}, {1}, False),
    # tuples are arrays (as json.dumps and the plain-JSON check read them)
    ("items tuple", {"items": {"type": "string"}}, (1, 2), False),
    ("items tuple of strings", {"items": {"type": "string"}}, ("a", "b"), True),
    ("items list", {"items": {"type": "string"}}, ["a", 2], False),
    ("items false empty", {"items": False}, [], True),
    ("items false", {"items": False}, [1], False),
    ("minItems tuple", {"minItems": 2}, (1,), False),
    ("minItems list", {"minItems": 2}, [1], False),
    ("maxItems list", {"maxItems": 1}, [1, 2], False),
    # str subclasses are strings
    ("string maxBytes at the limit", {"type": "string", "maxBytes": 8}, "a" * 8, True),
    ("string maxBytes over the limit", {"type": "string", "maxBytes": 8}, "a" * 9, False),
    ("string maxBytes multibyte at the limit", {"type": "string", "maxBytes": 8}, "aaaé€", True),
    ("string maxBytes multibyte over the limit", {"type": "string", "maxBytes": 8}, "aaaaé€", False),
    ("string maxBytes emoji", {"type": "string", "maxBytes": 8}, "😀😀", True),
    ("string maxBytes emoji over", {"type": "string", "maxBytes": 7}, "😀😀", False),
    ("maxBytes str subclass", {"type": "string", "maxBytes": 3}, Text("abcd"), False),
    ("maxBytes str subclass ok", {"type": "string", "maxBytes": 4}, Text("abcd"), True),
    ("format str subclass", {"type": "string", "format": "date-time"}, Text("2024-04-31T00:00:00Z"), False),
    ("format str subclass ok", {"format": "date-time"}, Text("2024-04-30T00:00:00Z"), True),
    # maxBytes measures every type: UTF-8 of a string, else compact JSON
    ("maxBytes multibyte", {"maxBytes": 5}, "ééé", False),
    ("maxBytes multibyte ok", {"maxBytes": 6}, "ééé", True),
    ("maxBytes emoji", {"maxBytes": 7}, "😀😀", False),
    ("maxBytes lone surrogate", {"maxBytes": 2}, "\ud800", False),
    ("maxBytes None", {"maxBytes": 4}, None, True),
    ("maxBytes None short", {"maxBytes": 3}, None, False),
    ("maxBytes True", {"maxBytes": 4}, True, True),
    ("maxBytes False", {"maxBytes": 4}, False, False),
    ("maxBytes int", {"maxBytes": 4}, 12345, False),
    ("maxBytes negative int", {"maxBytes": 4}, -123, True),
    ("maxBytes float", {"maxBytes": 3}, 1.5, True),
    ("maxBytes float long", {"maxBytes": 3}, 1.25, False),
    ("maxBytes list", {"maxBytes": 4}, [1, 2], False),
    ("maxBytes tuple", {"maxBytes": 5}, (1, 2), True),
    ("maxBytes dict", {"maxBytes": 6}, {"a": 1}, False),
    ("maxBytes dict non-ascii", {"maxBytes": 7}, {"é": 1}, False),
    ("maxBytes int subclass", {"maxBytes": 2}, Number(100), False),
    ("maxBytes zero", {"maxBytes": 0}, "", True),
    # object keywords apply to dicts only
    ("required string", {"required": ["a"]}, "a", True),
    ("required list", {"required": ["a"]}, ["a"], True),
    ("required None", {"required": ["a"]}, None, True),
    ("required dict", {"required": ["a"]}, {"b": 1}, False),
    ("required OrderedDict", {"required": ["a"]}, OrderedDict(b=1), False),
    ("properties list", {"properties": {"a": False}}, ["a"], True),
    ("properties dict", {"properties": {"a": False}}, {"a": 1}, False),
    ("properties absent", {"properties": {"a": False}}, {"b": 1}, True),
    ("additionalProperties int", {"additionalProperties": False}, 5, True),
    ("additionalProperties dict", {"additionalProperties": False}, {"a": 1}, False),
    ("additionalProperties named", {"properties": {"a": {}}, "additionalProperties": False}, {"a": 1}, True),
    (
        "additionalProperties schema",
        {"properties": {"a": {}}, "additionalProperties": {"type": "string"}},
        {"a": 1, "b": 2},
        False,
    ),
    (
        "additionalProperties schema ok",
        {"properties": {"a": {}}, "additionalProperties": {"type": "string"}},
        {"a": 1, "b": "x"},
        True,
    ),
    ("minProperties string", {"minProperties": 1}, "", True),
    ("minProperties dict", {"minProperties": 1}, {}, False),
    ("maxProperties dict", {"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ("maxProperties tuple", {"maxProperties": 0}, (1,), True),
    ("propertyNames", {"propertyNames": {"maxBytes": 3}}, {"abcd": 1}, False),
    ("propertyNames string", {"propertyNames": {"maxBytes": 3}}, "abcd", True),
    ("many properties, few keys", {"properties": {k: {"type": "string"} for k in "abcdefgh"}}, {"c": 1}, False),
    ("few properties, many keys", {"properties": {"c": {"type": "string"}}}, dict.fromkeys("abcdefgh", 1), False),
    # format: only the checker's formats are asserted
    ("format unknown", {"format": "uri"}, "not a uri", True),
    ("format date-time", {"format": "date-time"}, "2024-02-30T00:00:00Z", False),
    ("format date-time number", {"format": "date-time"}, 5, True),
    ("format email", {"format": "email"}, "nobody", False),
    ("format email None", {"type": ["string", "null"], "format": "email"}, None, True),
    # applicators and boolean schemas
    ("true", True, {"anything": 1}, True),
    ("false", False, None, False),
    ("not", {"not": {"type": "string"}}, "x", False),
    ("not other", {"not": {"type": "string"}}, 1, True),
    ("anyOf", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.0, True),
    ("anyOf none", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5, False),
    ("allOf", {"allOf": [{"type": "number"}, {"type": "integer"}]}, 2.0, True),
    ("allOf one fails", {"allOf": [{"type": "number"}, {"type": "integer"}]}, 2.5, False),
    ("if then", {"if": {"const": 1}, "then": {"type": "integer"}, "else": False}, 1.0, True),
    ("if else", {"if": {"const": 1}, "then": {"type": "integer"}, "else": False}, 2, False),
    ("if without then", {"if": {"const": 1}, "else": {"const": 2}}, 1, True),
    ("then without if", {"then": False, "else": False}, 1, True),
    ("if float then", {"if": {"type": "integer"}, "then": {"maxBytes": 3}, "else": {"maxBytes": 2}}, 10.0, False),
    ("if float else", {"if": {"type": "integer"}, "then": {"maxBytes": 4}, "else": {"maxBytes": 2}}, 1.5, False),
    ("if float ok", {"if": {"type": "integer"}, "then": {"maxBytes": 4}, "else": {"maxBytes": 3}}, 1.5, True),
    ("if over objects only", {"if": {"required": ["a"]}, "then": {"required": ["b"]}}, "x", True),
    ("if then object", {"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"a": 1}, False),
    ("annotations", {"title": "t", "description": "d", "examples": [1], "default": 2, "$comment": "c"}, 3, True),
]


@pytest.mark.parametrize(("schema", "instance", "expected"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_subtle_semantics(schema: Any, instance: Any, expected: bool) -> None:
    assert jsonschema_verdict(schema, instance) is expected  # the table itself is right
    assert compiled_verdict(schema, instance) is expected
    # the same schema one level down, behind properties / items, takes the same decisions
    assert compiled_verdict({"properties": {"x": schema}}, {"x": instance}) is expected
    assert compiled_verdict({"items": schema}, [instance]) is expected


@pytest.mark.parametrize(
    "schema",
    [
        {"pattern": "^a"},
        {"type": "string", "minLength": 1},
        {"$ref": "#/$defs/a"},
        {"properties": {"a": {"unevaluatedProperties": False}}},
        {"allOf": [{"oneOf": [True]}]},
        {"if": {"dependentRequired": {}}},
        {"prefixItems": [True]},
        {"type": "text"},
        {"maxBytes": "10"},
        {"required": "a"},
        {"required": [["a"]]},
        {"properties": {"a": 5}},
        {"anyOf": []},
        5,
        None,
    ],
    ids=repr,
)
def test_what_cannot_be_compiled_is_refused(schema: Any) -> None:
    with pytest.raises(UnsupportedSchemaError):
        compile_schema(schema)


def test_every_shipped_keyword_is_compiled() -> None:
    """The keyword list is checked against the schemas as shipped, annotations included."""
    used = {k for name in NAMES for node in _subschemas(REG.bundled(name)) if isinstance(node, dict) for k in node}
    assert used <= KEYWORDS | IGNORED, used - KEYWORDS - IGNORED
    assert {"type", "properties", "maxBytes", "format", "if", "then", "anyOf", "not", "propertyNames"} <= used


def test_equal_subschemas_are_compiled_once() -> None:
    compiler = Compiler()
    leaf = {"type": "string", "maxBytes": 150}
    first = compiler.compile({"properties": {"a": leaf, "b": dict(leaf)}})
    assert first({"a": "x", "b": "y"}) is True
    assert compiler.compile(dict(leaf)) is compiler.compile(leaf)


# -- the registry ----------------------------------------------------------------------------------------------------
def _dispatch_points() -> Iterator[tuple[str, str, str | None]]:
    for name in NAMES:
        yield name, "", None
    for route in ROUTES:
        if route.batch:
            yield route.schema, "", "batch"
            yield route.schema, "/properties/batch/items", None


@pytest.fixture
def registry_with(monkeypatch: pytest.MonkeyPatch) -> Any:
    def build(setting: str) -> SchemaRegistry:
        monkeypatch.setenv("CIO_SCHEMAS_ENGINE", setting)
        return SchemaRegistry.load()

    return build


def test_every_verdict_schema_compiles(registry_with: Any) -> None:
    reg = registry_with("python")
    assert reg.engine == "python"
    for name, pointer, shallow in _dispatch_points():
        found = reg.fast_validator(name, pointer, shallow)
        assert isinstance(found, CompiledValidator), (name, pointer, shallow)
        assert reg.fast_validator(name, pointer, shallow) is found  # cached


def test_jsonschema_setting_switches_every_verdict_engine_off(registry_with: Any) -> None:
    reg = registry_with("jsonschema")
    assert reg.engine == "python"
    assert all(reg.fast_validator(*point) is None for point in _dispatch_points())


def test_a_schema_that_cannot_be_compiled_falls_back_to_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIO_SCHEMAS_ENGINE", "python")
    reg = SchemaRegistry({"mine": {"type": "string", "pattern": "^a"}})
    assert reg.fast_validator("mine") is None


def test_valid_requests_never_reach_jsonschema(registry_with: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = registry_with("python")
    monkeypatch.setattr("cio_schemas.validation._registry", lambda: reg)
    reached: list[str] = []
    real = reg.validator
    monkeypatch.setattr(reg, "validator", lambda name, pointer="": reached.append(name) or real(name, pointer))
    body = get_schema("pipelines/identify")["examples"][0]
    assert list(iter_errors(Request("POST", "/v1/identify", body))) == []
    assert list(iter_errors(Request("POST", "/v1/batch", {"batch": [{**body, "type": "identify"}] * 3}))) == []
    assert reached == []
    problems = list(iter_errors(Request("POST", "/v1/identify", {**body, "userId": 5})))
    assert [p.pointer for p in problems] == ["/userId"]
    assert reached == ["pipelines/identify"]


def test_a_tuple_is_an_array_in_every_engine() -> None:
    """A batch given as a tuple is checked item by item, whichever engine gives the verdicts."""
    from cio_schemas import Request, iter_errors

    bad = Request("POST", "/v1/batch", {"batch": ({"type": "identify"},)})
    good = Request("POST", "/v1/batch", {"batch": ({"type": "identify", "userId": "u"},)})
    assert [(p.pointer, p.keyword) for p in iter_errors(bad)] == [("/batch/0", "required")]
    assert list(iter_errors(good)) == []


def test_an_unknown_engine_setting_warns_and_means_auto(registry_with: Any) -> None:
    with pytest.warns(RuntimeWarning, match="CIO_SCHEMAS_ENGINE='rust'.*'auto', 'python' or 'jsonschema'") as seen:
        reg = registry_with("rust")
    assert len(seen) == 1
    assert reg.engine == registry_with("auto").engine
