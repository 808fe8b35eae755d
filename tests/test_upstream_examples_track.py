"""Every request-body example in Customer.io's published Track OpenAPI validates with cio-schemas.

The pinned copy in ``tests/upstream/`` is walked for every place an example body
can hide: the media type's ``example``/``examples``, the body schema's own
``example``/``examples``, the examples of the alternatives the body schema is made
of (followed through ``$ref``s, which reaches the 18 Track v2 operation
components), the alternatives of a top-level property (the form ``data`` examples,
wrapped in ``{"data": ...}``) or of its items (each v2 operation example again as a
one-item ``/api/v2/batch``), the ``x-codeSamples`` JSON samples and the bodies of
``curl`` samples. Each becomes a request on the operation's route with realistic
path parameters and must produce no problem.

Examples whose data are wrong (not the schema) are listed in
:data:`KNOWN_DATA_ERRORS` with the reason; they are strict xfails, so a corrected
upstream example shows up as a failure to remove from the list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cio_schemas import Request, build_path, iter_errors

SPEC_PATH = Path(__file__).parent / "upstream" / "customerio-track-api-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))

#: Realistic values for the path parameters of the Track routes.
PATH_PARAMS = {
    "identifier": "42",
    "device_id": "a83b219c-e756-4c5b-a8e3-d1a5c5b2f3c1",
    "delivery_id": "RPILAgUBcRhIBqSfeiIwdIYJKxTY",
    "form_id": "contact-us",
    "segment_id": "7",
}

#: Published examples that are wrong in their data, by case id, with the reason.
KNOWN_DATA_ERRORS: dict[str, str] = {
    "POST /api/v1/forms/{form_id}/submit data/oneOf/1 example": (
        "the 'identify by id' form example sends the id as the number 12345; form identifiers and fields are strings"
    ),
    "POST /api/v2/entity person_merge example": (
        "the person merge example has no 'type' and 'action', so it names no v2 operation"
    ),
    "POST /api/v2/batch batch/items person_merge example": (
        "the person merge example has no 'type' and 'action', so it names no v2 operation"
    ),
}


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = SPEC
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _ref_name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


def _own_examples(schema: Any) -> Iterator[tuple[str, Any]]:
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield "example", schema["example"]
    for i, value in enumerate(schema.get("examples") or []):
        yield f"examples/{i}", value


def _branch_examples(schema: Any, label: str, seen: frozenset[int] = frozenset()) -> Iterator[tuple[str, Any]]:
    """Examples of the alternatives/parts a schema is made of, recursively, named by where they sit."""
    schema = _resolve(schema)
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen = seen | {id(schema)}
    for keyword in ("oneOf", "anyOf", "allOf"):
        for i, branch in enumerate(schema.get(keyword) or []):
            name = _ref_name(branch)
            where = name if name else f"{label}{keyword}/{i}"
            target = _resolve(branch)
            for suffix, value in _own_examples(target):
                yield f"{where} {suffix}", value
            yield from _branch_examples(target, f"{where}/" if not name else f"{name}/", seen)


def _curl_body(source: str) -> Any:
    match = re.search(r"(?:--data(?:-raw|-binary)?|-d)\s+'(.*?)'", source, re.S)
    if match is None:
        raise ValueError("no body in curl sample")
    return json.loads(match.group(1))


def _examples() -> Iterator[tuple[str, str, str, Any]]:
    """(case id, method, path template, body) for every example, first occurrence of each body per route."""
    seen: set[tuple[str, str, str]] = set()
    for template, item in SPEC["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            media = operation["requestBody"]["content"]["application/json"]
            schema = _resolve(media["schema"])
            prefix = f"{method.upper()} {template}"
            found: list[tuple[str, Any]] = []
            if "example" in media:
                found.append(("content example", media["example"]))
            for name, value in (media.get("examples") or {}).items():
                found.append((f"content examples/{name}", _resolve(value).get("value")))
            found += [(f"schema {suffix}", value) for suffix, value in _own_examples(schema)]
            found += list(_branch_examples(media["schema"], ""))
            for prop, sub in (schema.get("properties") or {}).items():
                found += [(f"{prop}/{where}", {prop: value}) for where, value in _branch_examples(sub, "")]
                items = _resolve(sub).get("items")
                if items is not None:  # an array of operations: each example as a one-item array
                    found += [
                        (f"{prop}/items {where}", {prop: [value]}) for where, value in _branch_examples(items, "")
                    ]
            for sample in operation.get("x-codeSamples") or []:
                label = sample.get("label") or sample.get("lang")
                if sample.get("lang") == "json" or sample.get("label") == "JSON":
                    found.append((f"x-codeSamples {label}", json.loads(sample["source"])))
                elif sample.get("lang") in ("shell", "curl", "bash") and "-d" in sample["source"]:
                    found.append((f"x-codeSamples {label}", _curl_body(sample["source"])))
            for where, body in found:
                key = (method, template, json.dumps(body, sort_keys=True))
                if key in seen:
                    continue
                seen.add(key)
                yield f"{prefix} {where}", method.upper(), template, body


EXAMPLES = list(_examples())


def _params(case_id: str) -> Any:
    if case_id in KNOWN_DATA_ERRORS:
        return pytest.param(
            case_id, marks=pytest.mark.xfail(reason=KNOWN_DATA_ERRORS[case_id], strict=True), id=case_id
        )
    return pytest.param(case_id, id=case_id)


BY_ID = {case_id: (method, template, body) for case_id, method, template, body in EXAMPLES}


@pytest.mark.parametrize("case_id", [_params(case_id) for case_id in BY_ID])
def test_published_example_validates(case_id: str) -> None:
    method, template, body = BY_ID[case_id]
    params = {p: PATH_PARAMS[p] for p in re.findall(r"\{([a-z_]+)\}", template)}
    request = Request(method, build_path(template, **params), body)
    problems = list(iter_errors(request))
    assert problems == [], [str(p) for p in problems]


def test_the_walk_finds_every_kind_of_example() -> None:
    ids = list(BY_ID)
    assert len(ids) == len(set(ids))
    # every body-carrying Track operation contributes at least one example
    routes = {" ".join(i.split(" ")[:2]) for i in ids}
    assert len(routes) == 13, sorted(routes)
    # the 18 v2 operation components and the alternatives of the v1 event bodies are reached
    assert sum(1 for i in ids if i.startswith("POST /api/v2/entity ") and " example" in i) >= 18
    assert any("eventsRequest" in i or "oneOf/2 example" in i for i in ids)
    assert all(i in BY_ID for i in KNOWN_DATA_ERRORS), "a known data error no longer names an example"
