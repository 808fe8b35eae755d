"""The shipped schema files themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cio_schemas import NoSuchSchemaError, Request, get_schema, is_valid, schema_names
from cio_schemas.catalog import PIPELINES_CALLS, ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS
from cio_schemas.registry import BASE_URI, _registry

SCHEMAS = Path(__file__).parent.parent / "schemas"
NAMES = schema_names()


def test_every_file_is_loaded() -> None:
    on_disk = sorted(p.relative_to(SCHEMAS).with_suffix("").as_posix() for p in SCHEMAS.rglob("*.json"))
    assert on_disk == NAMES


def test_every_table_entry_has_a_schema() -> None:
    wanted = {r.schema for r in ROUTES} | set(V2_OPERATIONS.values()) | set(PIPELINES_CALLS.values())
    wanted |= set(SEMANTIC_EVENTS.values()) | {"pipelines/track_event"}
    assert sorted(wanted - set(NAMES)) == []


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_2020_12_with_id_title_description(name: str) -> None:
    schema = get_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{BASE_URI}{name}.json"
    if not name.startswith("common/"):
        assert schema["title"] and schema["description"]
        assert schema["examples"], "every route schema has examples"


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("common/")])
def test_examples_validate(name: str) -> None:
    validator = _registry().validator(name)
    for example in get_schema(name)["examples"]:
        errors = [e.message for e in validator.iter_errors(example)]
        assert errors == [], (example, errors)


def test_no_oneof_anywhere() -> None:
    # oneOf over overlapping shapes is what broke the published schemas; dispatch is if/then or code.
    for path in SCHEMAS.rglob("*.json"):
        assert '"oneOf"' not in path.read_text(encoding="utf-8"), path


def test_refs_resolve_offline() -> None:
    for name in NAMES:
        text = json.dumps(get_schema(name))
        assert "http://" not in text.replace("https://json-schema.org", "")


def test_get_schema_returns_a_copy_and_unknown_names_fail() -> None:
    a = get_schema("pipelines/identify")
    a["title"] = "changed"
    assert get_schema("pipelines/identify")["title"] != "changed"
    assert get_schema(f"{BASE_URI}pipelines/identify.json")["$id"].endswith("pipelines/identify.json")
    with pytest.raises(NoSuchSchemaError):
        get_schema("pipelines/nope")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2023-04-26T13:05:09.123Z", True),
        ("2023-04-26t13:05:09z", True),
        ("2024-02-29T00:00:00+05:30", True),
        ("2023-12-31T23:59:59.999999999-23:59", True),
        ("2023-02-29T00:00:00Z", False),  # not a leap year
        ("2023-04-31T00:00:00Z", False),
        ("0000-01-01T00:00:00Z", False),  # year 0 is not a date
        ("2023-13-01T00:00:00Z", False),
        ("2023-04-26T24:00:00Z", False),
        ("2023-04-26T13:60:00Z", False),
        ("2023-04-26T13:05:60Z", False),
        ("2023-04-26T13:05:09+24:00", False),
        ("2023-04-26T13:05:09+05:60", False),
        ("2023-04-26T13:05:09", False),  # no offset
        ("2023-04-26T13:05:09Z\n", False),  # trailing newline
        ("\u0662\u0660\u0662\u0663-04-26T13:05:09Z", False),  # non-ASCII digits
    ],
)
def test_date_time_format(text: str, ok: bool) -> None:
    """RFC 3339 date-times, ranges and calendar included, in both engines."""
    body = {"userId": "u", "timestamp": text}
    assert is_valid(Request("POST", "/v1/identify", body)) is ok
    assert (not list(_registry().validator("pipelines/identify").iter_errors(body))) is ok


def test_the_code_and_the_schemas_state_the_same_field_limits() -> None:
    """The converters', validator's and strategies' Track field limits are the ones the schemas state."""
    from cio_schemas import _field_limits as limits
    from cio_schemas.registry import get_schema

    defs = get_schema("common/track")["$defs"]
    identify = get_schema("track_v1/identify")
    for name in ("person_id", "person_email", "person_cio_id", "object_id", "cio_object_id"):
        assert defs[name]["maxBytes"] == limits.ID_BYTES, name
    assert defs["event_name"]["maxBytes"] == limits.EVENT_NAME_BYTES
    assert defs["event_data"]["maxBytes"] == limits.EVENT_DATA_BYTES
    assert defs["attribute_value"]["maxBytes"] == defs["v1_attribute_value"]["maxBytes"] == limits.ATTRIBUTE_VALUE_BYTES
    for attrs in (defs["v2_person_attributes"], defs["object_attributes"], identify):
        assert attrs["maxProperties"] == limits.MAX_ATTRIBUTES
        assert attrs["propertyNames"]["maxBytes"] == limits.ATTRIBUTE_NAME_BYTES
    assert defs["object_attributes"]["maxBytes"] == limits.OBJECT_ATTRIBUTES_BYTES
