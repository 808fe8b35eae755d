"""Every request body Customer.io publishes in its Pipelines OpenAPI validates with cio-schemas.

The pinned spec (``tests/upstream/customerio-pipelines-api-openapi.json``) carries request
bodies in three places per operation: ``example``/``examples`` on the request content or
on the (dereferenced) request schema, a ``JSON`` code sample, and the body of the ``curl``
code sample. Each one becomes ``POST /v1/<call>`` and must produce no problem at all.

A few published bodies contain genuine data errors; they are listed in
:data:`KNOWN_DATA_ERRORS` with the reason and are expected to fail (strictly: if one starts
to pass, the list is out of date).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cio_schemas import Request, iter_errors

SPEC_PATH = Path(__file__).resolve().parent / "upstream" / "customerio-pipelines-api-openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))

#: Published bodies that are wrong as data, by case id, with the reason.
KNOWN_DATA_ERRORS: dict[str, str] = {
    "/track schema example": '"integrations": null; integrations is an object of booleans',
    "/track JSON sample": '"integrations": null; integrations is an object of booleans',
    "/group schema example": "receivedAt, sentAt and timestamp end in a stray comma "
    '("2015-02-23T22:28:55.111Z,"), so they are not date-times',
    "/group JSON sample": "receivedAt, sentAt and timestamp end in a stray comma "
    '("2015-02-23T22:28:55.111Z,"), so they are not date-times',
    "/batch JSON sample": "an empty placeholder object; a batch request needs a non-empty batch array",
}

#: The (pointer, keyword) of every problem each known data error must produce, and no other.
_KNOWN_PROBLEMS: dict[str, set[tuple[str, str]]] = {
    "/track schema example": {("/integrations", "type")},
    "/track JSON sample": {("/integrations", "type")},
    "/group schema example": {("/receivedAt", "format"), ("/sentAt", "format"), ("/timestamp", "format")},
    "/group JSON sample": {("/receivedAt", "format"), ("/sentAt", "format"), ("/timestamp", "format")},
    "/batch JSON sample": {("", "required")},
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow in-document ``$ref``s (``#/components/schemas/...``) to the schema itself."""
    seen = 0
    while "$ref" in schema and seen < 10:
        node: Any = SPEC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
        seen += 1
    return schema


def _curl_body(source: str) -> Any:
    """The JSON body of a curl command (the single-quoted argument of ``--data-raw``/``--data``/``-d``)."""
    for flag in ("--data-raw", "--data", "-d "):
        at = source.find(flag)
        if at >= 0:
            start = source.index("'", at)
            return json.loads(source[start + 1 : source.rindex("'")])
    raise ValueError("curl sample without a body")


def _collect() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for path, item in SPEC["paths"].items():
        for op in item.values():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            content = op["requestBody"]["content"]["application/json"]
            schema = _resolve(content.get("schema", {}))
            if "example" in content:
                cases.append((f"{path} content example", path, content["example"]))
            for key, ex in content.get("examples", {}).items():
                if isinstance(ex, dict) and "value" in ex:
                    cases.append((f"{path} content examples/{key}", path, ex["value"]))
            if "example" in schema:
                cases.append((f"{path} schema example", path, schema["example"]))
            for i, ex in enumerate(schema.get("examples", []) if isinstance(schema.get("examples"), list) else []):
                cases.append((f"{path} schema examples/{i}", path, ex))
            for sample in op.get("x-codeSamples", []):
                lang, label = sample.get("lang"), sample.get("label")
                if lang == "json" or label == "JSON":
                    cases.append((f"{path} JSON sample", path, json.loads(sample["source"])))
                elif lang == "shell":
                    cases.append((f"{path} curl sample", path, _curl_body(sample["source"])))
    return cases


CASES = _collect()


def _params() -> list[Any]:
    out = []
    for case_id, path, body in CASES:
        marks = []
        if case_id in KNOWN_DATA_ERRORS:
            marks.append(pytest.mark.xfail(reason=KNOWN_DATA_ERRORS[case_id], strict=True))
        out.append(pytest.param(path, body, id=case_id, marks=marks))
    return out


def test_the_spec_is_walked() -> None:
    # 7 operations, each with at least a JSON sample and a curl sample.
    paths = {path for _, path, _ in CASES}
    assert paths == {"/identify", "/track", "/page", "/screen", "/group", "/alias", "/batch"}
    assert len(CASES) >= 14
    ids = [case_id for case_id, _, _ in CASES]
    assert len(ids) == len(set(ids))


def test_known_data_errors_name_real_cases() -> None:
    ids = {case_id for case_id, _, _ in CASES}
    assert set(KNOWN_DATA_ERRORS) <= ids
    assert set(_KNOWN_PROBLEMS) == set(KNOWN_DATA_ERRORS)


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [pytest.param(path, body, _KNOWN_PROBLEMS[cid], id=cid) for cid, path, body in CASES if cid in _KNOWN_PROBLEMS],
)
def test_known_data_errors_fail_for_their_reason(path: str, body: Any, expected: set[tuple[str, str]]) -> None:
    problems = {(p.pointer, p.keyword) for p in iter_errors(Request("POST", "/v1" + path, body))}
    assert problems == expected


@pytest.mark.parametrize(("path", "body"), _params())
def test_published_example_validates(path: str, body: Any) -> None:
    problems = list(iter_errors(Request("POST", "/v1" + path, body)))
    assert problems == [], [(p.pointer, p.keyword, p.message) for p in problems]
