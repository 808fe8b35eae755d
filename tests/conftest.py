"""Shared test configuration: hypothesis profiles and the case-file loader.

Profiles: ``fast`` (the default, for CI on 2 cores) and ``thorough`` (at least
100,000 examples per property), chosen with ``CIO_SCHEMAS_HYPOTHESIS=thorough``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

CASES = Path(__file__).parent / "cases"

settings.register_profile(
    "fast", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "thorough",
    max_examples=100_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("CIO_SCHEMAS_HYPOTHESIS", "fast"))


def load_cases(folder: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every case of every ``*.json`` file below ``tests/cases/<folder>``, with a readable id."""
    root = CASES / folder
    for path in sorted(root.rglob("*.json")):
        cases = json.loads(path.read_text(encoding="utf-8"))
        for i, case in enumerate(cases):
            rel = path.relative_to(root).with_suffix("")
            yield f"{rel}[{i}] {case.get('description', '')}"[:120], case


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every location in a JSON value, as a tuple of keys and indexes (``()`` is the value itself)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*prefix, index))
