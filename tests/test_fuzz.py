"""Robustness: whatever goes in, only cio-schemas' own errors come out, and nothing is modified.

For ``validate`` / ``iter_errors`` / ``is_valid``, ``convert`` (to every
target), ``byte_size`` / ``check_size`` / ``size_report`` and
``to_unix`` / ``to_iso``:

(a) for arbitrary JSON bodies on every route, arbitrary Python objects where
    JSON is expected, and mutations of valid requests, every call returns or
    raises a subclass of :class:`~cio_schemas.errors.CioSchemasError`;
(b) the input is not modified (compared with a snapshot taken before);
(c) every request ``convert`` returns validates.

Then table-driven cases: very deep nesting, very large bodies and batches,
every regular expression against inputs built to make it backtrack, and
hostile identifiers through ``build_path`` and back.

The ``fast`` hypothesis profile (the default) keeps this file well under a
minute; ``CIO_SCHEMAS_HYPOTHESIS=thorough`` runs 100,000 examples per property.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from conftest import json_paths
from hypothesis import given
from hypothesis import strategies as st

import cio_schemas
from cio_schemas import strategies as cio
from cio_schemas.catalog import APIS, ROUTES, Route, match_route
from cio_schemas.conversion import ConvertOptions
from cio_schemas.converters import TARGETS, convert
from cio_schemas.errors import (
    CioSchemasError,
    InvalidPayloadError,
    InvalidRequestError,
    PayloadTooLargeError,
    UnknownRouteError,
    UnsupportedConversionError,
)
from cio_schemas.registry import get_schema, schema_names
from cio_schemas.request import Request, build_path
from cio_schemas.sizes import Limits, byte_size, check_size, size_report
from cio_schemas.timestamps import to_iso, to_unix
from cio_schemas.validation import is_valid, iter_errors, validate

ROUTE_IDS = [r.name for r in ROUTES]
PARAM_ROUTES = [r for r in ROUTES if r.params]


# -- what is called, and what may come out ---------------------------------------------------------------------------
class Escaped(AssertionError):
    """A call let through an exception that is not a ``CioSchemasError``."""


def _convert_and_check(target: str, options: ConvertOptions | None = None) -> Callable[[Request], Any]:
    """``convert`` to ``target``, asserting that every request it returns validates."""

    def call(request: Request) -> Any:
        result = convert(request, target, options=options)
        for out in result.requests:
            problems = [str(p) for p in iter_errors(out)]
            assert not problems, f"convert(..., {target!r}) produced an invalid request {out.to_json()}: {problems}"
        return result

    return call


def _calls(
    targets: tuple[str, ...] = TARGETS, options: ConvertOptions | None = None
) -> list[tuple[str, Callable[[Request], Any]]]:
    """The calls made on every request: validation, sizes, and conversion to ``targets``."""
    return [
        ("validate", validate),
        ("iter_errors", lambda r: list(iter_errors(r))),
        ("is_valid", is_valid),
        ("byte_size", lambda r: byte_size(r.body)),
        ("check_size", lambda r: check_size(r, Limits.pipelines_openapi(kb=1024))),
        ("size_report", size_report),
        *((f"convert:{t}", _convert_and_check(t, options)) for t in targets),
    ]


CALLS = _calls()
#: The same with one conversion target: on an invalid body every target stops at the same validation.
CALLS_BY_TARGET = {t: _calls((t,)) for t in TARGETS}
targets = st.sampled_from(TARGETS)


def exercise(request: Request, calls: list[tuple[str, Callable[[Request], Any]]] = CALLS) -> None:
    """Every call on ``request``: each returns or raises a ``CioSchemasError``, and nothing is modified."""
    before = snapshot(request.body)
    for name, call in calls:
        try:
            call(request)
        except CioSchemasError:
            pass
        except AssertionError:
            raise
        except Exception as exc:
            raise Escaped(f"{name} raised {type(exc).__name__}: {exc}") from exc
        assert snapshot(request.body) == before, f"{name} modified the body"


def exercise_timestamp(value: Any) -> None:
    """``to_unix`` / ``to_iso`` in every mode: a result of the right type or an ``InvalidTimestampError``."""
    before = snapshot(value)
    for unit in ("s", "ms"):
        for numeric in (False, True):
            for name, fn, kind in (("to_unix", to_unix, int), ("to_iso", to_iso, str)):
                try:
                    out = fn(value, unit=unit, numeric_strings=numeric)
                except CioSchemasError:
                    continue
                except Exception as exc:
                    raise Escaped(f"{name}({value!r:.80}, unit={unit!r}) raised {type(exc).__name__}: {exc}") from exc
                assert type(out) is kind, (name, value, out)
    assert snapshot(value) == before, "a timestamp function modified its input"


def snapshot(value: Any, seen: frozenset[int] = frozenset()) -> Any:
    """A comparable picture of ``value`` (NaN-safe, cycle-safe, without copying anything)."""
    if id(value) in seen:
        return ("cycle",)
    if isinstance(value, float):
        return ("float", repr(value))
    if value is None or isinstance(value, (str, bytes, int, complex, Decimal, dt.date, dt.time)):
        return (type(value).__name__, value)
    if isinstance(value, bytearray):
        return ("bytearray", bytes(value))
    inner = seen | {id(value)}
    if isinstance(value, Mapping):
        return (type(value).__name__, tuple((snapshot(k, inner), snapshot(v, inner)) for k, v in value.items()))
    if isinstance(value, (list, tuple, range)):
        return (type(value).__name__, tuple(snapshot(v, inner) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, frozenset(snapshot(v, inner) for v in value))
    return ("object", type(value).__name__, id(value))


def request_for(route: Route, body: Any, **params: str) -> Request:
    """A request on ``route`` with ordinary path parameters."""
    values = {"identifier": "42", "device_id": "dev-1", "delivery_id": "dlv-1", "form_id": "form-1", "segment_id": "7"}
    values.update(params)
    return Request(route.method, build_path(route.template, **{p: values[p] for p in route.params}), body)


# -- inputs ----------------------------------------------------------------------------------------------------------
def _vocabulary() -> tuple[list[str], list[Any]]:
    """Every property name and every constant the schemas mention: bodies built from them get past dispatch."""
    names: set[str] = {"batch"}
    consts: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    names.update(value)
                elif key == "required" and isinstance(value, list):
                    names.update(v for v in value if isinstance(v, str))
                elif key == "const":
                    consts.append(value)
                elif key == "enum" and isinstance(value, list):
                    consts.extend(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in schema_names():
        walk(get_schema(name))
    unique = {repr(c): c for c in consts}
    return sorted(names), list(unique.values())


NAMES, CONSTS = _vocabulary()

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, 2**64 + 1, -(2**63) - 1, 10**400, 0, -1, 1361205308, 253402300799]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 1361205308.722]),
    st.text(),
    st.sampled_from(["", " ", "\x00", "😀", "é" * 200, "a" * 1001, "2013-02-18T16:35:08.722Z", "user@example.com"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
# Bodies made of the schemas' own words: they reach the dispatch, the item schemas and the converters.
shaped_values = st.recursive(
    json_scalars | st.sampled_from(CONSTS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=3), inner, max_size=6)
    ),
    max_leaves=14,
)
json_bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(NAMES), shaped_values, max_size=8),
    st.builds(
        lambda items: {"batch": items}, st.lists(st.dictionaries(st.sampled_from(NAMES), shaped_values), max_size=4)
    ),
)


class _HugeInt:
    """Stands for ``10**5000`` in generated data (hypothesis cannot print an int that long)."""

    def __repr__(self) -> str:
        return "HUGE_INT"


HUGE_INT = _HugeInt()


def materialise(value: Any) -> Any:
    """``value`` with every ``HUGE_INT`` replaced by the integer ``10**5000`` (too long for ``str()``)."""
    if value is HUGE_INT:
        return 10**5000
    if type(value) is list:
        return [materialise(v) for v in value]
    if type(value) is tuple:
        return tuple(materialise(v) for v in value)
    if type(value) is dict:
        return {k: materialise(v) for k, v in value.items()}
    if type(value) is OrderedDict:
        return OrderedDict((k, materialise(v)) for k, v in value.items())
    if type(value) is MappingProxyType:
        return MappingProxyType({k: materialise(v) for k, v in value.items()})
    return value


_WEIRD_LEAVES = [
    float("nan"),
    float("inf"),
    float("-inf"),
    b"bytes",
    bytearray(b"bytearray"),
    Decimal("1.5"),
    dt.datetime(2013, 2, 18, 16, 35, 8),
    dt.datetime(2013, 2, 18, 16, 35, 8, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.date(2013, 2, 18),
    dt.time(12, 0),
    complex(1, 2),
    object(),
    "\ud800",
    "a\udfffb",
    HUGE_INT,
    range(3),
    Ellipsis,
    frozenset({1, "a"}),
    type,
]
python_keys = st.one_of(
    st.text(max_size=4),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(),
    st.tuples(st.integers()),
    st.sampled_from(["\ud800", b"k", frozenset()]),
)
python_values = st.recursive(
    json_scalars | st.sampled_from(_WEIRD_LEAVES) | st.floats() | st.binary(max_size=4),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.sets(st.integers() | st.text(max_size=3), max_size=3),
        st.dictionaries(python_keys, inner, max_size=3),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=4),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=4).map(OrderedDict),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=4).map(MappingProxyType),
    ),
    max_leaves=12,
)

convert_options = st.builds(
    ConvertOptions,
    identifier_kind=st.sampled_from(["auto", "id", "email", "cio_id"]),
    relationship_key=st.sampled_from(["relationship_traits", "relationshipAttributes"]),
    convert_iso_attributes=st.booleans(),
    limits=st.sampled_from(["default", "pipelines-openapi"]),
    kb=st.sampled_from([1000, 1024]),
)


# -- (a) (b) (c): arbitrary JSON on every route ----------------------------------------------------------------------
def routes_of(api: str) -> st.SearchStrategy[Route]:
    """One route of ``api``."""
    return st.sampled_from([r for r in ROUTES if r.api == api])


@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_arbitrary_json_bodies(api: str, data: st.DataObject) -> None:
    route = data.draw(routes_of(api), label="route")
    body = data.draw(json_bodies, label="body")
    exercise(request_for(route, body), CALLS_BY_TARGET[data.draw(targets, label="target")])


@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_arbitrary_python_objects_as_bodies(api: str, data: st.DataObject) -> None:
    route = data.draw(routes_of(api), label="route")
    body = materialise(data.draw(python_values, label="body"))
    exercise(request_for(route, body), CALLS_BY_TARGET[data.draw(targets, label="target")])


ODD_BODIES: list[Any] = [
    None,
    {},
    [],
    "",
    "{}",
    0,
    -1,
    1.5,
    True,
    2**64,
    10**400,
    1e308,
    {"": None},
    {"batch": []},
    {"batch": [{}]},
    {"batch": [None, 1, "x", []]},
    {"batch": "x"},
    {"batch": {"type": "identify"}},
    {"type": "track"},
    {"type": "track", "event": None},
    {"type": "track", "event": "Device Deleted"},
    {"type": "person", "action": "identify"},
    {"type": "person", "action": "merge", "primary": {}, "secondary": []},
    {"type": "object", "action": "identify", "identifiers": {"object_type_id": 1, "object_id": None}},
    {"type": "delivery", "action": "nope"},
    {"type": 1, "action": ["identify"]},
    {"userId": None, "anonymousId": 5, "traits": []},
    {"userId": "", "traits": {"createdAt": "2013-02-30T00:00:00Z"}},
    {"event": "Relationship Deleted", "userId": "1", "properties": {"objectId": 1}},
    {"device": {"id": None, "platform": "windows"}},
    {"ids": [], "name": None, "data": "x", "timestamp": "1361205308"},
    {"primary": {"id": "1", "email": "a@b"}, "secondary": {}},
    {"cio_relationships": {"action": "add_relationships", "relationships": [{}]}},
    {"\ud800": "\udfff"},
]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_route_survives_odd_bodies(route: Route) -> None:
    """A fixed set of odd bodies on every route (the properties above draw routes at random)."""
    for index, body in enumerate(ODD_BODIES):
        exercise(request_for(route, body), CALLS_BY_TARGET[TARGETS[index % len(TARGETS)]])


@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_python_objects_inside_valid_requests(api: str, data: st.DataObject) -> None:
    """A valid request with one value replaced by something that is not JSON."""
    request = data.draw(cio.requests(api=api), label="request")
    body = copy.deepcopy(request.body)
    paths = [p for p in json_paths(body) if p]
    if not paths:
        body = materialise(data.draw(python_values, label="body"))
    else:
        path = data.draw(st.sampled_from(paths), label="path")
        _put(body, path, materialise(data.draw(python_values, label="value")))
    exercise(Request(request.method, request.path, body), CALLS_BY_TARGET[data.draw(targets, label="target")])


# -- mutations of valid requests -------------------------------------------------------------------------------------
def _get(value: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path``."""
    for part in path:
        value = value[part]
    return value


def _put(value: Any, path: tuple[Any, ...], new: Any) -> None:
    """Replace the value at ``path`` (not the root) in place."""
    _get(value, path[:-1])[path[-1]] = new


_RETYPED = [None, True, False, 0, -1, 1.5, 2**70, 1e308, "", "x", "1361205308", [], [None], {}, {"": None}]


@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_mutated_valid_requests(api: str, data: st.DataObject) -> None:
    """Delete a field, change a value's type, or swap in a value from another route's body, then call everything."""
    request = data.draw(cio.requests(api=api), label="request")
    body = copy.deepcopy(request.body)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(json_paths(body))
        path = data.draw(st.sampled_from(paths), label="path")
        kind = data.draw(st.sampled_from(["delete", "retype", "transplant", "add"]), label="kind")
        if kind == "delete" and path:
            parent = _get(body, path[:-1])
            del parent[path[-1]]
            continue
        if kind == "add":
            target = _get(body, path)
            if isinstance(target, dict):
                target[data.draw(st.sampled_from(NAMES), label="key")] = data.draw(shaped_values, label="value")
                continue
            kind = "retype"
        if kind == "retype":
            old = _get(body, path)
            new = copy.deepcopy(
                data.draw(st.sampled_from([v for v in _RETYPED if type(v) is not type(old)]), label="value")
            )
        else:
            other = data.draw(cio.requests(), label="other request").body
            new = copy.deepcopy(_get(other, data.draw(st.sampled_from(list(json_paths(other))), label="other path")))
        if path:
            _put(body, path, new)
        else:
            body = new
    exercise(Request(request.method, request.path, body))


# -- (c) valid requests, every conversion, every option --------------------------------------------------------------
@pytest.mark.parametrize("api", APIS)
@given(data=st.data())
def test_valid_requests_convert_to_valid_requests(api: str, data: st.DataObject) -> None:
    tricky = data.draw(st.booleans(), label="tricky")
    request = data.draw(cio.requests(api=api, tricky=tricky, near_limits=tricky), label="request")
    options = data.draw(convert_options, label="options")
    exercise(request, _calls(options=options))


# -- timestamps ------------------------------------------------------------------------------------------------------
timestamp_inputs = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from([0, 1361205308, 253402300799, 253402300800, -62135596800, -62135596801, 1361205308722, HUGE_INT]),
    st.from_regex(
        r"\A[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}([Tt ][0-9]{1,3}(:[0-9]{1,3}){0,2}(\.[0-9]{0,12})?)?"
        r"([Zz]|[+-][0-9]{1,4}(:?[0-9]{1,3})?)?\Z"
    ),
    st.from_regex(r"\A[+-]?[0-9]{0,30}(\.[0-9]{0,30})?\Z"),
    st.text(max_size=40),
    st.sampled_from(
        ["2013-W08-1", "2013-049", "20130218T163508Z", "2013-02-18T24:00:00Z", "2013-02-30", "9999-12-31T23:59:60Z"]
    ),
    st.datetimes(
        timezones=st.builds(
            dt.timezone, st.timedeltas(-dt.timedelta(hours=23, minutes=59), dt.timedelta(hours=23, minutes=59))
        )
    ),
    st.datetimes(),
    st.dates(),
    python_values,
)


@given(value=timestamp_inputs)
def test_timestamps_only_raise_typed_errors(value: Any) -> None:
    """``to_unix``/``to_iso`` on timestamps in every form, and on anything else."""
    exercise_timestamp(materialise(value))


# -- envelopes -------------------------------------------------------------------------------------------------------
path_texts = st.one_of(
    st.text(max_size=40).map(lambda s: "/" + s),
    st.sampled_from([r.template for r in ROUTES]).flatmap(
        lambda t: st.builds(lambda s: re.sub(r"\{[a-z_]+\}", lambda _: s, t), st.text(max_size=8))
    ),
)


@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH", "put", "HEAD"]) | st.text(max_size=6),
    path=path_texts,
    body=json_values,
)
def test_arbitrary_envelopes(method: str, path: str, body: Any) -> None:
    """Any method and path: building the request, finding its route and every call raise only typed errors."""
    try:
        request = Request(method, path, body)
        request.route  # noqa: B018 - resolving the route is the point
        request.params  # noqa: B018
    except CioSchemasError:
        return
    exercise(request)


@given(envelope=python_values | st.fixed_dictionaries({"method": python_values, "path": python_values}))
def test_arbitrary_envelopes_from_json(envelope: Any) -> None:
    envelope = materialise(envelope)
    try:
        request = Request.from_json(envelope)
        request.route  # noqa: B018
    except CioSchemasError:
        return


# -- table-driven: deep nesting --------------------------------------------------------------------------------------
def _deep_list(depth: int) -> Any:
    """``[[[...]]]``, ``depth`` levels deep (built without recursion)."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_dict(depth: int) -> Any:
    """``{"a": {"a": ...}}``, ``depth`` levels deep (built without recursion)."""
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


DEEP = 10_000


#: Measuring a body that deep costs tens of milliseconds (a RecursionError unwinds); two routes show both paths.
SIZE_ROUTES = ("POST /v1/identify", "POST /api/v2/batch")


@pytest.mark.parametrize("shape", ["list", "dict", "inside"])
def test_deep_nesting_gives_typed_errors(shape: str) -> None:
    """Bodies nested 10,000 levels deep: typed errors everywhere, never a RecursionError."""
    deep = _deep_list(DEEP) if shape == "list" else _deep_dict(DEEP)
    body = {"userId": "1", "traits": deep, "data": deep, "batch": [deep]} if shape == "inside" else deep
    with pytest.raises(InvalidRequestError):
        byte_size(body)
    for route in ROUTES:
        request = request_for(route, body)
        with pytest.raises(InvalidPayloadError) as info:
            validate(request)
        assert any(p.keyword == "json" for p in info.value.problems)
        assert is_valid(request) is False
        assert list(iter_errors(request))
        for name, call in CALLS:
            if name in ("byte_size", "check_size", "size_report") and route.name not in SIZE_ROUTES:
                continue
            try:
                call(request)
            except CioSchemasError:
                pass
            except Exception as exc:  # pragma: no cover - the failure this test exists for
                raise Escaped(f"{name} on {route.name} raised {type(exc).__name__}") from exc


@pytest.mark.parametrize("shape", ["list", "dict"])
def test_deep_nesting_as_a_timestamp(shape: str) -> None:
    deep = _deep_list(DEEP) if shape == "list" else _deep_dict(DEEP)
    with pytest.raises(CioSchemasError):
        to_unix(deep)
    with pytest.raises(CioSchemasError):
        to_iso(deep)


def test_circular_bodies_give_typed_errors() -> None:
    """Bodies that contain themselves: typed errors everywhere."""
    looped_list: list[Any] = []
    looped_list.append(looped_list)
    looped_dict: dict[str, Any] = {"userId": "1"}
    looped_dict["traits"] = looped_dict
    for body in (looped_list, looped_dict, {"batch": [looped_dict]}):
        for route in ROUTES:
            request = request_for(route, body)
            assert is_valid(request) is False
            for name, call in CALLS:
                try:
                    call(request)
                except CioSchemasError:
                    pass
                except Exception as exc:
                    raise Escaped(f"{name} on {route.name} raised {type(exc).__name__}: {exc}") from exc


# -- table-driven: very large bodies ---------------------------------------------------------------------------------
HUGE = 50_000_000


@pytest.mark.parametrize(
    ("route_name", "body", "scope"),
    [
        ("POST /v1/identify", "x" * HUGE, "single"),
        ("PUT /api/v1/customers/{identifier}", {"bio": "é" * (HUGE // 2)}, "single"),
        ("POST /api/v2/batch", {"batch": [{"type": "person", "action": "identify", "blob": "x" * HUGE}]}, "item"),
    ],
    ids=["string-body", "multibyte-attribute", "batch-item"],
)
def test_fifty_megabytes_are_refused(route_name: str, body: Any, scope: str) -> None:
    """Bodies of 50 MB are refused by the size check, with the right scope."""
    route = next(r for r in ROUTES if r.name == route_name)
    request = request_for(route, body)
    with pytest.raises(PayloadTooLargeError) as info:
        check_size(request)
    assert info.value.scope == scope
    assert info.value.size > HUGE
    assert size_report(request).ok is False


def test_a_million_item_batch_is_refused() -> None:
    """A batch of a million (small, shared) items is refused by the size check."""
    item = {"type": "track", "event": "Signed Up", "userId": "42"}
    request = Request("POST", "/v1/batch", {"batch": [item] * 1_000_000})
    with pytest.raises(PayloadTooLargeError) as info:
        check_size(request)
    assert info.value.scope == "batch"
    assert info.value.size > 1_000_000 * byte_size(item)


# -- table-driven: regular expressions and catastrophic backtracking --------------------------------------------------
def _schema_patterns() -> list[tuple[str, str, int]]:
    """Every ``pattern`` and ``patternProperties`` key in the shipped schemas, with where it is."""
    found: list[tuple[str, str, int]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    found.append((where, value, 0))
                elif key == "patternProperties" and isinstance(value, dict):
                    found.extend((where, p, 0) for p in value)
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for name in schema_names():
        walk(get_schema(name), name)
    return found


#: Modules whose regular expressions never see request data (they read the shipped schemas, or argv).
_NOT_ON_THE_INPUT_PATH = ("cio_schemas.__main__", "cio_schemas.docs", "cio_schemas.cli", "cio_schemas.strategies")


def _library_patterns() -> dict[str, list[tuple[str, int]]]:
    """Every compiled regular expression the library applies to request data, by module."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for info in pkgutil.walk_packages(cio_schemas.__path__, "cio_schemas."):
        if info.name in _NOT_ON_THE_INPUT_PATH:
            continue
        module = importlib.import_module(info.name)
        found = [(v.pattern, v.flags) for v in vars(module).values() if isinstance(v, re.Pattern)]
        if found:
            groups[info.name] = found
    groups["cio_schemas.catalog routes"] = [(r._regex.pattern, r._regex.flags) for r in ROUTES]
    return groups


PATTERN_GROUPS: dict[str, list[tuple[str, int]]] = {
    **{f"schema {where}: {pattern}": [(pattern, flags)] for where, pattern, flags in _schema_patterns()},
    **_library_patterns(),
}

_BACKTRACK_PROBE = textwrap.dedent(
    r"""
    import json, re, string, sys

    N = 50_000
    patterns = json.loads(sys.stdin.read())
    for source, flags in patterns:
        rx = re.compile(source, flags)
        literal = {c for c in source if c in string.printable and c not in string.whitespace}
        chars = sorted(literal | set("a0 -:.@TZtz+/_\t\né😀%\\u"))
        probes = []
        for c in chars:
            probes += [c * N + "!", c * N + "\x00", c * N, "a@" + c * N + "@", "a@" + c * N + " "]
        for pair in ("0:", "a@", "0-", "a.", "1.", "T0", ": ", "a ", "%f", "\\u", "/a", "a/", "-0", "+0", "00"):
            probes.append(pair * (N // 2) + "!")
        probes += [
            "2013-02-18T16:35:08." + "0" * N + "!",
            "2013-02-18T16:35" + ":0" * N,
            "1" * N + "." + "1" * N + "!",
            "\\ud800" * (N // 6) + "!",
            "/api/v1/customers/" + "a" * N + "/",
            "/api/v1/customers/" + "/" * N + "x",
            "%2F" * (N // 3) + "\xff",
        ]
        for probe in probes:
            print(repr(source)[:60], repr(probe[:12]), len(probe), flush=True)
            rx.search(probe)
            rx.match(probe)
            rx.fullmatch(probe)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("group", list(PATTERN_GROUPS), ids=list(PATTERN_GROUPS))
def test_no_catastrophic_backtracking(group: str) -> None:
    """Each regular expression, in a child process with a time limit, against strings built to backtrack."""
    import json

    patterns = PATTERN_GROUPS[group]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BACKTRACK_PROBE],
            input=json.dumps(patterns),
            capture_output=True,
            text=True,
            timeout=8,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = out.strip().splitlines()[-1:] or ["(before the first probe)"]
        pytest.fail(f"{group}: still matching after 8 s on {last[0]}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("done")


def test_pattern_collection_sees_the_library() -> None:
    assert "cio_schemas.catalog routes" in PATTERN_GROUPS
    assert any(g.startswith("cio_schemas.timestamps") for g in PATTERN_GROUPS)


# -- table-driven: hostile identifiers through build_path and back ---------------------------------------------------
HOSTILE = [
    "/",
    "?",
    "#",
    "%",
    " ",
    "a/b",
    "a?b=c&d=e",
    "a#frag",
    "100%",
    "%2F",
    "%25",
    "%zz",
    "a b",
    " leading",
    "trailing ",
    "😀",
    "👩\u200d👩\u200d👧",
    "é",
    "日本",
    "\u202eevil",
    "\x00",
    "\x1f",
    "\x7f",
    "\t\n\r",
    "...",
    ".a",
    "user@example.com",
    "user+tag@example.com",
    "cio_03000001",
    "a;b,c:d",
    "~!$&'()*+,;=",
    '[]{}|\\^`"<>',
    "\ufeff",
    "é" * 75,
]


@pytest.mark.parametrize("route", PARAM_ROUTES, ids=[r.name for r in PARAM_ROUTES])
@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:24] for v in HOSTILE])
def test_hostile_identifiers_round_trip(route: Route, value: str) -> None:
    """Identifiers that need percent-encoding come back unchanged from the path."""
    request = Request(route.method, build_path(route.template, **{p: value for p in route.params}))
    assert request.route == route
    assert request.params == {p: value for p in route.params}


@pytest.mark.parametrize("route", PARAM_ROUTES, ids=[r.name for r in PARAM_ROUTES])
@given(data=st.data())
def test_any_identifier_round_trips(route: Route, data: st.DataObject) -> None:
    """Any text identifier comes back unchanged from the path."""
    # Lone surrogates are left out: see test_build_path_with_a_lone_surrogate.
    # "." and ".." are refused: no path can carry a dot-segment (see tests/test_request.py).
    text = st.text(st.characters(codec="utf-8"), min_size=1).filter(lambda t: t not in (".", ".."))
    params = {p: data.draw(text, label=p) for p in route.params}
    request = Request(route.method, build_path(route.template, **params))
    assert match_route(request.method, request.path) == (route, params)


# -- regressions found by the properties above ----------------------------------------------------------------------
def test_invalid_percent_escape_in_a_path() -> None:
    """``%ff`` is not UTF-8: the route is known, the parameter is malformed, and the error says how to encode it."""
    with pytest.raises(InvalidRequestError, match="percent-encoded UTF-8") as info:
        Request("PUT", "/api/v1/customers/%ff").route  # noqa: B018
    assert info.value.pointer == "/path"
    with pytest.raises(UnknownRouteError):  # no GET route for that path at all
        Request("GET", "/api/v1/customers/%ff").route  # noqa: B018


@pytest.mark.parametrize("where", ["body", "userId", "batch item type"])
def test_validation_of_a_huge_int(where: str) -> None:
    """An int too long to print is reported at its pointer, like any other value that is not JSON."""
    huge = 10**5000
    bodies = {"body": huge, "userId": {"userId": huge}, "batch item type": {"batch": [{"type": huge}]}}
    pointers = {"body": "", "userId": "/userId", "batch item type": "/batch/0/type"}
    route = "/v1/batch" if where == "batch item type" else "/v1/identify"
    problems = list(iter_errors(Request("POST", route, bodies[where])))
    assert [p.pointer for p in problems] == [pointers[where]]
    assert "too large" in problems[0].message


@pytest.mark.parametrize("group_id", ["x" * 151, "é" * 76, 10**151], ids=["151 ASCII", "152 bytes", "152-digit int"])
@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_group_with_a_long_group_id(group_id: Any, target: str) -> None:
    """A Pipelines groupId has no length limit and a Track object id has 150 bytes: the conversion is refused."""
    request = Request("POST", "/v1/group", {"groupId": group_id, "userId": "u1"})
    assert is_valid(request)
    with pytest.raises(UnsupportedConversionError, match="150 bytes"):
        convert(request, target)


@pytest.mark.parametrize("group_id", [0.0, 5.0, 1e20])
@pytest.mark.parametrize("target", ["track-v1", "track-v2"])
def test_group_with_an_integral_float_group_id(group_id: float, target: str) -> None:
    """5.0 is an integer to JSON Schema: it becomes the object id "5", and the change is reported."""
    request = Request("POST", "/v1/group", {"groupId": group_id, "userId": "u1"})
    assert is_valid(request)
    result = convert(request, target)
    assert all(is_valid(out) for out in result.requests), [out.to_json() for out in result.requests]
    assert [(c.pointer, c.before, c.after) for c in result.changes] == [("/body/groupId", group_id, str(int(group_id)))]
    assert str(int(group_id)) in json.dumps([out.body for out in result.requests])


def test_request_with_a_huge_int() -> None:
    """The error message abridges the bad method instead of printing an int too long to print."""
    with pytest.raises(InvalidRequestError, match="method must be one of"):
        Request(10**5000, "/")  # type: ignore[arg-type]


def test_build_path_with_a_lone_surrogate() -> None:
    with pytest.raises(InvalidRequestError, match="lone surrogates"):
        build_path("/api/v1/customers/{identifier}", identifier="\ud800")
