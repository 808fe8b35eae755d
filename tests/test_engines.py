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
