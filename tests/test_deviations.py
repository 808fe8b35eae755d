"""``docs/deviations.json``: every deviation from Customer.io's published OpenAPI, proven by its evidence.

Each entry names the published schema location it departs from, and carries
payloads whose verdict under the published schema (as published: in-document
``$ref``s, formats not asserted) differs from the verdict under ours.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cio_schemas import Request, is_valid, schema_names

ROOT = Path(__file__).parent.parent
UPSTREAM = Path(__file__).parent / "upstream"
DEVIATIONS = json.loads((ROOT / "docs" / "deviations.json").read_text(encoding="utf-8"))
SPECS = {
    "track": json.loads((UPSTREAM / "customerio-track-api-openapi.json").read_text(encoding="utf-8")),
    "pipelines": json.loads((UPSTREAM / "customerio-pipelines-api-openapi.json").read_text(encoding="utf-8")),
}
REGISTRY: Registry[Any] = Registry().with_resources(
    (f"urn:{name}", Resource.from_contents(doc, default_specification=DRAFT202012)) for name, doc in SPECS.items()
)


def _body_pointer(spec: str, request: Request) -> str:
    template = request.route.template
    if spec == "pipelines":
        template = template.removeprefix("/v1")
    path = template.replace("~", "~0").replace("/", "~1")
    return f"/paths/{path}/{request.method.lower()}/requestBody/content/application~1json/schema"


def _resolve(doc: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def test_pinned_specs_are_unchanged() -> None:
    for line in (UPSTREAM / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((UPSTREAM / name).read_bytes()).hexdigest() == digest, name


def test_ids_are_unique_and_schemas_exist() -> None:
    ids = [d["id"] for d in DEVIATIONS]
    assert len(ids) == len(set(ids))
    names = set(schema_names())
    for d in DEVIATIONS:
        for name in d["schema"].split(", "):  # a deviation may touch several schemas
            matches = [n for n in names if n == name or (name.endswith("/*") and n.startswith(name[:-1]))]
            assert matches, (d["id"], name)
        assert d["change"] and d["reason"] and d["evidence"], d["id"]


@pytest.mark.parametrize("deviation", DEVIATIONS, ids=[d["id"] for d in DEVIATIONS])
def test_evidence(deviation: dict[str, Any]) -> None:
    spec = deviation["spec"]
    _resolve(SPECS[spec], deviation["published"])  # the published location exists
    for evidence in deviation["evidence"]:
        request = Request.from_json(evidence["request"])
        published = Draft202012Validator({"$ref": f"urn:{spec}#{_body_pointer(spec, request)}"}, registry=REGISTRY)
        assert published.is_valid(request.body) is evidence["published_valid"], evidence
        assert is_valid(request) is evidence["valid"], evidence
        assert evidence["published_valid"] is not evidence["valid"]
