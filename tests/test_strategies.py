"""The hypothesis strategies in ``cio_schemas.strategies``: everything they generate validates.

Per API and per route (every route of :data:`cio_schemas.catalog.ROUTES`), with
the ``tricky`` and ``near_limits`` options, per schema through ``bodies`` and
``from_schema``, and for the JSON Schema keywords the generator understands
(over small schemas written here, which the shipped ones may not use yet).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cio_schemas import strategies as cio
from cio_schemas.catalog import APIS, ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS, Route
from cio_schemas.errors import InvalidArgumentError, NoSuchSchemaError, UnknownRouteError
from cio_schemas.registry import BASE_URI, FORMAT_CHECKER, CioValidator, json_byte_length, schema_names, validator_for
from cio_schemas.request import Request
from cio_schemas.validation import is_valid, iter_errors

ROUTE_SCHEMAS = [n for n in schema_names() if not n.startswith("common/")]
#: Tests parametrised over many cases run a quarter of the profile's examples for each case.
PER_CASE = settings(max_examples=max(15, settings().max_examples // 4))


class _Found(Exception):
    """Raised to stop a search at its first match."""


def first(strategy: st.SearchStrategy[Any], predicate: Callable[[Any], bool], tries: int = 3000) -> Any:
    """The first generated value that satisfies ``predicate`` (a search, not a property: nothing is shrunk)."""
    found: list[Any] = []

    @settings(max_examples=tries, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def search(value: Any) -> None:
        if predicate(value):
            found.append(value)
            raise _Found

    try:
        search()
    except _Found:
        return found[0]
    raise AssertionError(f"nothing satisfying the predicate in {tries} examples")


def problems(request: Request) -> list[str]:
    """The problems ``iter_errors`` finds, as text (empty for a valid request)."""
    return [str(p) for p in iter_errors(request)]


def conforms(schema: Any, value: Any) -> bool:
    """Validity under a schema that may ``$ref`` the shipped ones (by their ``$id``)."""
    from cio_schemas.registry import REGISTRY

    return bool(CioValidator(schema, registry=REGISTRY.registry, format_checker=FORMAT_CHECKER).is_valid(value))


# -- requests --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_requests_of_an_api_validate(api: str, data: st.DataObject) -> None:
    request = data.draw(cio.requests(api=api))
    assert request.api == api
    assert problems(request) == []


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
@PER_CASE
@given(data=st.data())
def test_requests_of_every_route_validate(route: Route, data: st.DataObject) -> None:
    request = data.draw(cio.requests(route=route))
    assert request.route == route
    assert problems(request) == []
    if not route.body:
        assert request.body in (None, {})


@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_tricky_and_near_limit_requests_validate(api: str, data: st.DataObject) -> None:
    tricky, near_limits = data.draw(st.sampled_from([(True, False), (False, True), (True, True)]), label="options")
    request = data.draw(cio.requests(api=api, tricky=tricky, near_limits=near_limits), label="request")
    assert request.api == api
    assert problems(request) == []


@given(request=cio.requests())
def test_requests_of_all_routes_validate(request: Request) -> None:
    assert is_valid(request)


@given(data=st.data())
def test_path_parameters_round_trip(data: st.DataObject) -> None:
    route = data.draw(st.sampled_from([r for r in ROUTES if r.params]))
    request = data.draw(cio.requests(route=route, tricky=True, near_limits=True))
    params = request.params
    assert set(params) == set(route.params)
    assert all(value.strip() for value in params.values())
    if "identifier" in params:
        assert len(params["identifier"].encode("utf-8")) <= 150


def test_routes_can_be_named() -> None:
    by_name = cio.requests(route="PUT /api/v1/customers/{identifier}")
    by_schema = cio.requests(route="track_v1/identify")
    for strategy in (by_name, by_schema):
        assert first(strategy, lambda r: True).route.operation == "identify"


def test_unknown_names_are_typed_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="requests\\(\\) takes api as one of 'track-v1'"):
        cio.requests(api="track-v3")
    with pytest.raises(UnknownRouteError):
        cio.requests(route="POST /nowhere")
    with pytest.raises(NoSuchSchemaError):
        cio.from_schema("track_v1/nothing")
    with pytest.raises(NoSuchSchemaError):
        cio.from_schema("common/track#/$defs/nothing")


# -- bodies and from_schema ------------------------------------------------------------------------------------------
@given(data=st.data())
def test_bodies_of_every_schema_validate(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(ROUTE_SCHEMAS), label="schema")
    tricky = data.draw(st.booleans(), label="tricky")
    body = data.draw(cio.bodies(name, tricky=tricky, near_limits=not tricky), label="body")
    errors = [e.message for e in validator_for(name).iter_errors(body)]
    assert errors == []


@pytest.mark.parametrize("route", [r for r in ROUTES if r.batch], ids=lambda r: r.name)
@given(data=st.data())
def test_bodies_of_a_route(route: Route, data: st.DataObject) -> None:
    body = data.draw(cio.bodies(route))
    assert isinstance(body, dict) and body["batch"]
    assert is_valid(Request(route.method, route.template, body))


@pytest.mark.parametrize(
    "pointer",
    [
        "common/track#/$defs/person_identifiers",
        "common/track#/$defs/object_identifiers",
        "common/track#/$defs/v2_person_attributes",
        "common/pipelines#/$defs/context",
        "common/pipelines#/$defs/dateTime",
    ],
)
@given(data=st.data())
def test_from_schema_with_a_pointer(pointer: str, data: st.DataObject) -> None:
    value = data.draw(cio.from_schema(pointer, tricky=True, near_limits=True))
    name, _, fragment = pointer.partition("#")
    assert conforms({"$ref": f"{BASE_URI}{name}.json#{fragment}"}, value)


# -- what the options produce ----------------------------------------------------------------------------------------
def test_tricky_gives_edge_timestamps() -> None:
    def at(edge: int) -> Callable[[Any], bool]:
        return lambda body: bool(body.get("timestamp") == edge)

    for edge in (0, 1361205308, 253402300799):
        found = first(cio.bodies("track_v1/track_anonymous", tricky=True), at(edge))
        assert found["timestamp"] == edge


@pytest.mark.parametrize("digits", [0, 3, 6, 9])
def test_tricky_gives_iso_fractions(digits: int) -> None:
    pattern = re.compile(r"\d\d:\d\d:\d\d" + (rf"\.\d{{{digits}}}" if digits else "") + r"([Zz]|[+-]\d\d:\d\d)$")
    found = first(
        cio.from_schema("common/pipelines#/$defs/dateTime", tricky=True),
        lambda text: pattern.search(text) is not None,
    )
    assert pattern.search(found)


def test_tricky_gives_emails_and_cio_ids_as_identifiers() -> None:
    strategy = cio.requests(route="PUT /api/v1/customers/{identifier}", tricky=True)
    assert "@" in first(strategy, lambda r: "@" in r.params["identifier"]).params["identifier"]
    assert first(strategy, lambda r: r.params["identifier"].startswith("cio_"))
    assert first(strategy, lambda r: not r.params["identifier"].isascii())


def test_near_limits_fills_strings_with_multibyte_characters() -> None:
    def near(body: Any) -> bool:
        name = body.get("name")
        return isinstance(name, str) and 95 <= json_byte_length(name) <= 100 and not name.isascii()

    found = first(cio.bodies("track_v1/track", near_limits=True), near)
    assert len(found["name"]) < json_byte_length(found["name"])


def test_near_limits_identifiers_in_paths() -> None:
    strategy = cio.requests(route="DELETE /api/v1/customers/{identifier}", near_limits=True)
    found = first(strategy, lambda r: len(r.params["identifier"].encode("utf-8")) >= 145)
    assert len(found.params["identifier"].encode("utf-8")) <= 150


def collect(
    strategy: st.SearchStrategy[Any], kind: Callable[[Any], Any], wanted: set[Any], tries: int = 3000
) -> set[Any]:
    """The kinds of the values generated, until every wanted kind has come out (or ``tries`` values)."""
    seen: set[Any] = set()

    @settings(max_examples=tries, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def search(value: Any) -> None:
        seen.add(kind(value))
        if wanted <= seen:
            raise _Found

    with contextlib.suppress(_Found):
        search()
    return seen


def test_conditionals_reach_every_branch() -> None:
    """Every Track v2 operation and every Pipelines semantic event (and custom events) come out of the dispatchers."""
    operations = collect(cio.bodies("track_v2/entity"), lambda b: (b["type"], b["action"]), set(V2_OPERATIONS))
    assert set(V2_OPERATIONS) <= operations
    wanted = {*SEMANTIC_EVENTS, "custom"}
    events = collect(
        cio.bodies("pipelines/track"), lambda b: b["event"] if b["event"] in SEMANTIC_EVENTS else "custom", wanted
    )
    assert wanted <= events


# -- keywords the shipped schemas may not use yet --------------------------------------------------------------------
KEYWORD_SCHEMAS: dict[str, dict[str, Any]] = {
    "pattern": {"type": "string", "pattern": "^[a-z]{2,5}-[0-9]+$"},
    "lengths": {"type": "string", "minLength": 3, "maxLength": 5},
    "maxBytes": {"type": "string", "minLength": 1, "maxBytes": 7},
    "formats": {
        "type": "array",
        "prefixItems": [{"format": "date-time", "type": "string"}, {"type": "string", "format": "email"}],
    },
    "type list": {"type": ["integer", "null", "boolean"]},
    "numbers": {"type": "number", "minimum": -2.5, "exclusiveMaximum": 3},
    "integers": {"type": "integer", "exclusiveMinimum": 10, "maximum": 12},
    "enum and const": {"allOf": [{"enum": ["a", "b", 1, True]}, {"not": {"const": "a"}}]},
    "anyOf of types": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer", "minimum": 0}]},
    "oneOf": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "array bounds": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4, "uniqueItems": True},
    "object counts": {
        "type": "object",
        "minProperties": 2,
        "maxProperties": 3,
        "additionalProperties": {"type": "integer"},
    },
    "closed object": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    },
    "patternProperties": {
        "type": "object",
        "patternProperties": {"^x_": {"type": "integer"}},
        "propertyNames": {"maxLength": 6},
        "minProperties": 1,
    },
    "dependentRequired": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a"],
        "dependentRequired": {"a": ["b"]},
    },
    "not required": {
        "type": "object",
        "properties": {"a": {}, "b": {}, "c": {}},
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
        "not": {"required": ["a", "b"]},
    },
    "if then else": {
        "type": "object",
        "properties": {"kind": {"enum": ["x", "y", "z"]}, "n": {"type": ["integer", "string"]}},
        "required": ["kind"],
        "if": {"properties": {"kind": {"const": "x"}}},
        "then": {"properties": {"n": {"type": "integer"}}, "required": ["n"]},
        "else": {"properties": {"n": {"type": "string"}}},
    },
    "if on the whole object": {
        "type": "object",
        "if": {"minProperties": 2},
        "then": {"maxProperties": 3},
        "else": {"required": ["only"]},
    },
    "maxBytes on an object": {"type": "object", "additionalProperties": {"type": "string"}, "maxBytes": 40},
    "$ref into the shipped schemas": {
        "type": "object",
        "required": ["who"],
        "properties": {"who": {"$ref": "common/track.json#/$defs/person_identifiers"}},
    },
}


@pytest.mark.parametrize("name", list(KEYWORD_SCHEMAS))
@PER_CASE
@given(data=st.data())
def test_keywords(name: str, data: st.DataObject) -> None:
    schema = KEYWORD_SCHEMAS[name]
    value = data.draw(cio.from_schema(schema, tricky=data.draw(st.booleans())))
    assert conforms({**schema, "$id": BASE_URI + "test.json"}, value)


def test_an_unknown_api_is_named_even_with_a_route() -> None:
    with pytest.raises(InvalidArgumentError, match=r"takes api as one of 'track-v1', 'track-v2', 'pipelines', not str"):
        cio.requests(api="nope", route="POST /api/v2/entity")
