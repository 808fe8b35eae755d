"""The fast engine (``jsonschema-rs``, with ``pip install cio-schemas[fast]``) gives the same verdicts.

Every validation case and every schema example goes through both engines, at
the same dispatch points the library uses (the route's schema, a v2 body's
operation, each batch item's own schema, the batch envelope without its items).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import load_cases

from cio_schemas import Request, get_schema, schema_names
from cio_schemas.registry import _registry
from cio_schemas.validation import item_schema

pytest.importorskip("jsonschema_rs")

REG = _registry()
if REG.engine != "rust":
    pytest.skip("the fast engine is switched off (CIO_SCHEMAS_ENGINE=python)", allow_module_level=True)


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


def _same(name: str, instance: Any, mode: str | None) -> None:
    if mode == "batch":
        slow = not list(REG.shallow_validator(name, "batch").iter_errors(instance))
        fast = REG.fast_validator(name, shallow="batch").is_valid(instance)
    elif mode == "items":
        slow = not list(REG.validator(name, "/properties/batch/items").iter_errors(instance))
        fast = REG.fast_validator(name, "/properties/batch/items").is_valid(instance)
    else:
        slow = not list(REG.validator(name).iter_errors(instance))
        fast = REG.fast_validator(name).is_valid(instance)
    assert fast == slow, (name, mode, instance)


CASES = list(load_cases("validate"))


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case_verdicts_agree(case: dict[str, Any]) -> None:
    for name, instance, mode in _dispatch(Request.from_json(case["request"])):
        _same(name, instance, mode)


@pytest.mark.parametrize("name", [n for n in schema_names() if not n.startswith("common/")])
def test_example_verdicts_agree(name: str) -> None:
    for example in get_schema(name)["examples"]:
        _same(name, example, None)
