"""The verdict engines give ``jsonschema``'s verdicts.

Two engines: ``jsonschema-rs`` (with ``pip install cio-schemas[fast]``) and the
schemas compiled into Python closures (``cio_schemas._compiled``, used without
it). Every validation case and every schema example goes through each engine
and through ``jsonschema``, at the same dispatch points the library uses (the
route's schema, a v2 body's operation, each batch item's own schema, the batch
envelope without its items). The Rust comparison is skipped when
``jsonschema-rs`` is missing or switched off (``CIO_SCHEMAS_ENGINE=python``);
the compiled one always runs, whatever engine is active.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import load_cases
from hypothesis import given
from hypothesis import strategies as st

from cio_schemas import Request, get_schema, schema_names
from cio_schemas._compiled import CompiledValidator, Compiler
from cio_schemas.registry import _registry
from cio_schemas.validation import item_schema

REG = _registry()
ENGINES = [
    pytest.param(
        "rust",
        marks=pytest.mark.skipif(
            REG.engine != "rust", reason="jsonschema-rs is not installed or is switched off (CIO_SCHEMAS_ENGINE)"
        ),
    ),
    "compiled",
]

_COMPILER = Compiler()
_COMPILED: dict[tuple[str, str, str | None], CompiledValidator] = {}


def _compiled(name: str, pointer: str = "", shallow: str | None = None) -> CompiledValidator:
    """The compiled verdict for what ``fast_validator(name, pointer, shallow)`` selects, whatever engine is active."""
    key = (name, pointer, shallow)
    if key not in _COMPILED:
        _COMPILED[key] = CompiledValidator(REG._verdict_schema(name, pointer, shallow, annotations=False), _COMPILER)
    return _COMPILED[key]


def _dispatch(request: Request) -> Iterator[tuple[str, Any, str | None]]:
    route = request.route
    body = request.body
    if route.batch:
        yield route.schema, body, "batch"
        for item in body.get("batch", []) if isinstance(body, dict) else []:
            name = item_schema(route.api, item)
            yield (name, item, None) if name else (route.schema, item, "items")
    elif route.api == "track-v2" or route.operation == "track":
        probe = body if route.api == "track-v2" or not isinstance(body, dict) else {"type": "track", **body}
        yield item_schema(route.api, probe) or route.schema, body, None
    else:
        yield route.schema, body, None


def _where(mode: str | None) -> tuple[str, str | None]:
    """The ``pointer`` and ``shallow`` arguments of ``fast_validator`` for a dispatch mode."""
    return {"batch": ("", "batch"), "items": ("/properties/batch/items", None)}.get(mode or "", ("", None))


def _same(engine: str, name: str, instance: Any, mode: str | None) -> None:
    pointer, shallow = _where(mode)
    if shallow:
        slow = not list(REG.shallow_validator(name, shallow).iter_errors(instance))
    else:
        slow = not list(REG.validator(name, pointer).iter_errors(instance))
    fast = REG.fast_validator(name, pointer, shallow) if engine == "rust" else _compiled(name, pointer, shallow)
    verdict = fast.is_valid(instance)
    assert type(verdict) is bool
    assert verdict == slow, (engine, name, mode, instance)


CASES = list(load_cases("validate"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case_verdicts_agree(engine: str, case: dict[str, Any]) -> None:
    for name, instance, mode in _dispatch(Request.from_json(case["request"])):
        _same(engine, name, instance, mode)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", [n for n in schema_names() if not n.startswith("common/")])
def test_example_verdicts_agree(engine: str, name: str) -> None:
    for example in get_schema(name)["examples"]:
        _same(engine, name, example, None)


def test_the_cases_include_invalid_verdicts() -> None:
    """The comparison means something only if both verdicts occur among the cases."""
    verdicts = {
        _compiled(name, *_where(mode)).is_valid(instance)
        for _, case in CASES
        for name, instance, mode in _dispatch(Request.from_json(case["request"]))
    }
    assert verdicts == {True, False}


# -- the Rust engine checks natively what it can, calling back into Python only for the rest -------------------------


def _rust(schema: Any, formats: dict[str, Any] | None = None) -> Any:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    from cio_schemas.registry import FORMAT_CHECKER, CioValidator, _FastValidator, _rust_validator

    wrapped = schema if isinstance(schema, dict) else {"allOf": [schema]}
    return _FastValidator(
        _rust_validator(jsonschema_rs, wrapped, formats), lambda: CioValidator(schema, format_checker=FORMAT_CHECKER)
    )


def _table() -> list[Any]:
    """The compiled engine's table of subtle cases, for the values validation lets reach an engine (JSON values:
    a ``Decimal`` or ``bytes`` is refused before any schema is consulted)."""
    from test_compiled import TABLE

    from cio_schemas.jsonio import json_problems

    return [pytest.param(*t[1:], id=t[0]) for t in TABLE if not list(json_problems(t[2]))]


@pytest.mark.parametrize(("schema", "instance", "expected"), _table())
def test_rust_verdicts_on_subtle_semantics(schema: Any, instance: Any, expected: bool) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    try:
        jsonschema_rs.validator_for(schema)
    except jsonschema_rs.ValidationError:
        pytest.skip("a schema jsonschema-rs refuses (none is shipped: every shipped schema is built in the suite)")
    assert _rust(schema).is_valid(instance) is expected
    assert _rust({"properties": {"x": schema}}).is_valid({"x": instance}) is expected


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"properties": {"enum": {"format": "ipv4"}}}, {"enum": "x"}),
        ({"properties": {"const": {"maxBytes": 1}}}, {"const": "ab"}),
        ({"properties": {"format": {"type": "string"}, "maxBytes": {"type": "integer"}}}, {"format": 1}),
        ({"properties": {"format": {"type": "string"}, "maxBytes": {"type": "integer"}}}, {"maxBytes": 1}),
        ({"const": {"format": "email"}}, {"format": "email"}),
        ({"enum": [{"maxBytes": 1}]}, {"maxBytes": 1}),
        ({"maxBytes": -1}, ""),
        ({"allOf": [{"type": "string"}], "format": "email", "maxBytes": 8}, "a@bcdefgh"),
        ({"allOf": [{"type": "string"}], "format": "email", "maxBytes": 8}, "a@bcdefg"),
    ],
    ids=repr,
)
def test_rust_rewrites_touch_only_keywords(schema: Any, instance: Any) -> None:
    from cio_schemas.registry import FORMAT_CHECKER, CioValidator

    expected = CioValidator(schema, format_checker=FORMAT_CHECKER).is_valid(instance)
    assert _rust(schema).is_valid(instance) is expected


DATE_TIMES = [
    ("2024-04-26T13:42:19.123Z", True),
    ("2024-02-28t23:59:59+14:00", True),
    ("2024-02-29T00:00:00Z", True),
    ("2023-02-29T00:00:00Z", False),
    ("2024-04-31T00:00:00Z", False),
    ("2024-04-30T00:00:00z", True),
    ("0000-01-01T00:00:00Z", False),
    ("0001-01-01T00:00:00Z", True),
    ("2024-01-01T00:00:00Z\n", False),
    ("2024-01-01T00:00:00", False),
    ("2024-01-01 00:00:00Z", False),
    ("2024-01-01T24:00:00Z", False),
    ("2024-01-01T00:00:00.Z", False),
    ("２０２４-01-01T00:00:00Z", False),
]


@pytest.mark.parametrize(("text", "expected"), DATE_TIMES)
def test_rust_date_time_verdicts(text: str, expected: bool) -> None:
    from cio_schemas.registry import _is_datetime

    assert _is_datetime(text) is expected
    assert _rust({"type": "string", "format": "date-time"}).is_valid(text) is expected


def test_rust_calls_back_only_where_the_native_check_cannot_decide() -> None:
    from cio_schemas.registry import _is_datetime, _is_email

    calls: list[str] = []

    def counted(check: Any) -> Any:
        def run(value: Any) -> bool:
            calls.append(value)
            return bool(check(value))

        return run

    formats = {"date-time": counted(_is_datetime), "email": counted(_is_email)}
    schema = {"properties": {"t": {"format": "date-time"}, "e": {"format": "email"}, "s": {"maxBytes": 8}}}
    validator = _rust(schema, formats)
    assert validator.is_valid({"t": "2024-04-26T13:42:19.123Z", "e": "a@b", "s": "ab"})
    assert not validator.is_valid({"e": "nobody"})
    assert calls == []  # decided natively
    assert not validator.is_valid({"t": "2023-02-29T00:00:00Z"})
    assert validator.is_valid({"t": "2024-02-29T00:00:00Z"})
    assert calls == ["2023-02-29T00:00:00Z", "2024-02-29T00:00:00Z"]  # the calendar needs Python
    assert not validator.is_valid({"s": "ééééé"})  # 5 characters, 10 bytes: measured
    assert validator.is_valid({"s": "éééé"})


@given(
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
    )
    | st.text(alphabet="0123456789-:TZz+.\n ", max_size=30)
)
def test_rust_date_time_verdicts_agree_on_generated_strings(text: str) -> None:
    from cio_schemas.registry import _is_datetime

    assert _rust({"format": "date-time"}).is_valid(text) is _is_datetime(text)


_FLAT_VALUES = (
    st.text(max_size=210)
    | st.booleans()
    | st.none()
    | st.integers(min_value=-(10**16), max_value=10**16)
    | st.floats(allow_nan=False, allow_infinity=False)
)


@given(
    st.dictionaries(st.text(max_size=55), _FLAT_VALUES | st.lists(st.integers(), max_size=3), max_size=80),
    st.integers(min_value=0, max_value=120_000),
)
def test_rust_object_max_bytes_verdicts_agree(value: dict[str, Any], slack: int) -> None:
    from cio_schemas.registry import FORMAT_CHECKER, CioValidator, json_byte_length

    for limit in {max(json_byte_length(value) - 1, 0), json_byte_length(value), slack, 1506, 1507, 100_000}:
        schema = {"maxBytes": limit}
        expected = CioValidator(schema, format_checker=FORMAT_CHECKER).is_valid(value)
        assert _rust(schema).is_valid(value) is expected, (limit, value)


def test_rust_measures_only_objects_it_cannot_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from cio_schemas import registry

    measured: list[Any] = []
    original = registry._FastMaxBytes.validate

    def counted(self: Any, instance: Any) -> None:
        measured.append(instance)
        original(self, instance)

    monkeypatch.setattr(registry._FastMaxBytes, "validate", counted)
    validator = _rust({"properties": {"data": {"type": "object", "maxBytes": 100_000}}})
    flat = {"price": 12.5, "sku": "SKU-1", "note": "é" * 200, "ok": True, "none": None, "n": -(10**15)}
    assert validator.is_valid({"data": flat}) and measured == []
    nested = {"items": [{"sku": "SKU-1"}]}
    assert validator.is_valid({"data": nested}) and measured == [nested]
    assert not validator.is_valid({"data": {"big": "x" * 100_001}})
