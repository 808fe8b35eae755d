"""The public functions' contract at its edges: each problem once, short messages, typed errors only.

- a rule reached through several schema branches is one problem, not one per branch;
- a problem message never carries a huge value (``Problem.value`` still does);
- values the fast engine cannot read get the Python engine's verdict;
- an argument of the wrong type, an unknown option or an invalid option value
  raises :class:`~cio_schemas.errors.InvalidArgumentError` (a ``CioSchemasError``,
  ``TypeError`` and ``ValueError``) saying what to pass.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from cio_schemas.catalog import match_route
from cio_schemas.conversion import ConvertOptions
from cio_schemas.converters import convert, convert_many
from cio_schemas.errors import CioSchemasError, InvalidArgumentError, InvalidRequestError, Problem
from cio_schemas.jsonio import iter_documents, loads
from cio_schemas.registry import _registry, get_schema, validator_for
from cio_schemas.request import Request, build_path
from cio_schemas.sizes import Limits, check_size, get_limits, size_report, split_batch
from cio_schemas.timestamps import convert_iso_attributes, normalize_request_timestamps
from cio_schemas.validation import _short_message, best_match, is_valid, iter_errors, validate

IDENTIFY = Request("POST", "/v1/identify", {"userId": "42", "traits": {"plan": "pro"}})
BIG = "x" * 100_000


class Text(str):
    pass


class Number(int):
    pass


def _keys(problems: list[Problem]) -> list[tuple[str, str, str]]:
    return [(p.pointer, p.keyword, p.message) for p in problems]


# -- each problem once -------------------------------------------------------------------------
@pytest.mark.parametrize("body", [[], "identify", 42, None])
def test_v2_entity_body_that_is_not_an_object_is_one_problem(body: Any) -> None:
    problems = list(iter_errors(Request("POST", "/api/v2/entity", body)))
    assert len(problems) == 1
    assert (problems[0].pointer, problems[0].keyword) == ("", "type")
    assert "is not of type 'object'" in problems[0].message


def test_v1_event_data_of_the_wrong_type_is_one_problem() -> None:
    problems = list(iter_errors(Request("POST", "/api/v1/customers/u/events", {"name": "purchase", "data": 5})))
    assert len(problems) == 1
    assert (problems[0].pointer, problems[0].keyword) == ("/data", "type")
    assert problems[0].schema_path[:2] == ("properties", "data")  # the first branch is the one kept


def test_v2_batch_item_that_is_not_an_object_is_one_problem() -> None:
    problems = list(iter_errors(Request("POST", "/api/v2/batch", {"batch": [[], {"type": "person"}]})))
    assert [p.pointer for p in problems if p.pointer == "/batch/0"] == ["/batch/0"]
    assert len(_keys(problems)) == len(set(_keys(problems)))


@pytest.mark.parametrize(
    "request_",
    [
        Request("POST", "/api/v2/entity", {"type": "person", "action": "identify", "identifiers": [], "x": 1}),
        Request("POST", "/api/v2/entity", {"type": "object"}),
        Request("POST", "/api/v1/customers/u/events", {"name": 5, "data": [], "timestamp": "soon"}),
        Request("POST", "/v1/track", {"event": [], "properties": 5}),
        Request("POST", "/v1/batch", {"batch": [{"type": "track"}, [], {"type": "identify", "traits": 1}]}),
    ],
)
def test_problems_are_never_repeated(request_: Request) -> None:
    keys = _keys(list(iter_errors(request_)))
    assert keys and len(keys) == len(set(keys))


# -- short messages --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_", "pointer", "keyword", "rule"),
    [
        (
            Request("POST", "/v1/identify", {"userId": "42", "traits": BIG}),
            "/traits",
            "type",
            "is not of type 'object'",
        ),
        (Request("PUT", "/api/v1/customers/u", {"email": BIG}), "/email", "format", "is not an email address"),
        (
            Request("POST", "/api/v1/metrics", {"delivery_id": "d", "timestamp": 1, "metric": BIG}),
            "/metric",
            "enum",
            "is not one of ['bounced'",
        ),
        (Request("POST", "/api/v2/entity", [BIG]), "", "type", "is not of type 'object'"),
    ],
)
def test_messages_abridge_a_huge_value(request_: Request, pointer: str, keyword: str, rule: str) -> None:
    problems = [p for p in iter_errors(request_) if (p.pointer, p.keyword) == (pointer, keyword)]
    assert len(problems) == 1
    problem = problems[0]
    assert len(problem.message) < 300
    assert rule in problem.message and "xxxx…" in problem.message
    assert problem.value == request_.body if pointer == "" else problem.value == BIG  # the value is kept whole
    with pytest.raises(CioSchemasError) as caught:
        validate(request_)
    assert len(str(caught.value)) < 1000


def test_short_messages_are_kept_as_they_are() -> None:
    [problem] = iter_errors(Request("POST", "/v1/identify", {"userId": "42", "traits": "pro"}))
    assert problem.message == "'pro' is not of type 'object'"


def test_a_long_message_without_the_value_is_cut_in_the_middle() -> None:
    message = "Additional properties are not allowed (" + ", ".join(f"'{'k' * 30}{i}'" for i in range(50)) + ")"
    short = _short_message(message + " were unexpected", {})
    assert len(short) <= 200
    assert short.startswith("Additional properties are not allowed") and short.endswith("were unexpected")


# -- values the fast engine cannot read --------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [
        Request("POST", "/v1/identify", {"userId": Text("42"), "traits": {"plan": Text("pro"), "n": Number(3)}}),
        Request("POST", "/v1/batch", {"batch": [{"type": "identify", "userId": Text("42")}]}),
        Request("POST", "/api/v2/entity", {"type": "person", "action": "identify", "identifiers": {"id": Text("42")}}),
        Request("PUT", "/api/v1/customers/42", {"email": Text("a@example.com"), "age": Number(3)}),
    ],
)
def test_str_and_int_subclasses_are_valid_json_values(request_: Request) -> None:
    assert list(iter_errors(request_)) == []
    assert is_valid(request_)
    validate(request_)


def test_str_subclass_that_breaks_a_rule_is_a_problem() -> None:
    problems = list(iter_errors(Request("POST", "/v1/identify", {"userId": "42", "traits": Text("pro")})))
    assert _keys(problems) == [("/traits", "type", "'pro' is not of type 'object'")]


def test_fast_engine_verdict_falls_back_for_unsupported_types() -> None:
    reg = _registry()
    if reg.engine != "rust":
        pytest.skip("the fast engine is not in use")
    assert reg.fast_validator("pipelines/identify").is_valid({"userId": Text("42")}) is True
    assert reg.fast_validator("pipelines/identify").is_valid({"userId": Number(42), "traits": Text("x")}) is False
    assert reg.fast_validator("pipelines/batch", shallow="batch").is_valid({"batch": [Text("x")]}) is True


# -- arguments of the wrong type -----------------------------------------------------------------
NOT_REQUESTS = [None, {}, "POST /v1/identify", {"method": "POST", "path": "/v1/identify", "body": {"userId": "42"}}]

CALLS: dict[str, Callable[[Any], Any]] = {
    "validate": validate,
    "is_valid": is_valid,
    "iter_errors": lambda r: list(iter_errors(r)),
    "convert": lambda r: convert(r, "pipelines"),
    "convert_many": lambda r: convert_many([r], "pipelines"),
    "check_size": check_size,
    "size_report": size_report,
}


def _deep_attributes() -> Any:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(1500):
        inner["a"] = {}
        inner = inner["a"]
    return convert_iso_attributes(nested)


def _circular_attributes() -> Any:
    loop: dict[str, Any] = {}
    loop["x"] = loop
    return convert_iso_attributes(loop)


def _strategy_of(name: str, *args: Any) -> Any:
    from cio_schemas import strategies

    if name == "requests":
        return strategies.requests(route=args[0], api=args[1])
    return getattr(strategies, name)(*args)


def _assert_converts_lossless(value: Any) -> Any:
    from cio_schemas.testing import assert_converts

    return assert_converts(IDENTIFY, "track-v2", lossless=value)


def _raises_argument_error(call: Callable[[], Any]) -> InvalidArgumentError:
    with pytest.raises(InvalidArgumentError) as caught:
        call()
    error = caught.value
    assert isinstance(error, CioSchemasError) and isinstance(error, TypeError) and isinstance(error, ValueError)
    assert isinstance(error, InvalidRequestError)
    return error


@pytest.mark.parametrize("value", NOT_REQUESTS, ids=["None", "empty-dict", "str", "json-form"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_non_requests_raise_a_typed_error_saying_what_to_pass(name: str, value: Any) -> None:
    error = _raises_argument_error(lambda: CALLS[name](value))
    assert f"{name}()" in str(error) and "Request" in str(error)
    assert "Request.from_json(" in str(error)
    if not isinstance(value, dict) or "method" not in value:
        assert "Request(method, path, body)" in str(error)
    assert error.argument == ("requests[0]" if name == "convert_many" else "request") and error.value is value


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: check_size(IDENTIFY, limits="nope"), ["Limits", "'default'", "'pipelines-openapi'"]),  # type: ignore[arg-type]
        (lambda: check_size(IDENTIFY, limits="pipelines-openapi"), ["get_limits('pipelines-openapi')"]),  # type: ignore[arg-type]
        (lambda: size_report(IDENTIFY, raw="{}"), ["bytes"]),  # type: ignore[arg-type]
        (lambda: convert(IDENTIFY, "track-v1", options=5), ["ConvertOptions"]),  # type: ignore[arg-type]
        (lambda: convert(IDENTIFY, "track-v1", nonsense=1), ["'nonsense'", "identifier_kind", "limits"]),
        (lambda: convert(IDENTIFY, "track-v1", options=ConvertOptions(), kb=1024), ["not both"]),
        (lambda: convert(IDENTIFY, "track-v1", kb=7), ["1000 or 1024"]),
        (lambda: convert_many(IDENTIFY, "track-v1"), ["iterable of Requests", "convert()"]),  # type: ignore[arg-type]
        (lambda: convert_many(None, "track-v1"), ["iterable of Requests"]),  # type: ignore[arg-type]
        (lambda: convert_many([], "track-v1", nonsense=1), ["'nonsense'"]),
        (lambda: split_batch([], None), ["'track-v2' or 'pipelines'"]),  # type: ignore[arg-type]
        (lambda: Limits("1", 1, 1, 1, 1, 1), ["Limits.track_single", "positive number of bytes"]),  # type: ignore[arg-type]
        (lambda: Limits(1, 1, 1, 1, 1, 1, kb=1024.0), ["Limits.kb", "1000 or 1024"]),  # type: ignore[arg-type]
        (lambda: _deep_attributes(), ["nested at most 64 levels"]),
        (lambda: _circular_attributes(), ["nested at most 64 levels", "circular"]),
        (lambda: _strategy_of("bodies", 5), ["schema name", "int 5"]),
        (lambda: _strategy_of("from_schema", None), ["schema name", "None"]),
        (lambda: _strategy_of("requests", "POST /api/v2/entity", "pipelines"), ["not a pipelines route"]),
        (lambda: _assert_converts_lossless(1), ["True, False or None", "int 1"]),
        (lambda: convert(IDENTIFY, "track-v3"), ["'pipelines', 'track-v1', 'track-v2'", 'not str "track-v3"']),
        (lambda: convert(IDENTIFY, 5), ["'pipelines', 'track-v1', 'track-v2'", "int 5"]),  # type: ignore[arg-type]
        (lambda: convert_many([], None), ["convert_many()", "not None"]),  # type: ignore[arg-type]
        (lambda: split_batch(None, "pipelines"), ["items"]),  # type: ignore[arg-type]
        (lambda: split_batch({"batch": []}, "pipelines"), ["body['batch']"]),
        (lambda: split_batch([], "pipelines", "default"), ["get_limits('default')"]),  # type: ignore[arg-type]
        (lambda: split_batch([], "pipelines", extra=[("context", {})]), ["extra"]),  # type: ignore[arg-type]
        (lambda: get_schema([]), ["schema name", "track_v1/identify"]),  # type: ignore[arg-type]
        (lambda: validator_for({}), ["schema name", "schema_names()"]),  # type: ignore[arg-type]
        (lambda: match_route(None, None), ["strings", "method is None"]),  # type: ignore[arg-type]
        (lambda: match_route("POST", b"/v1/identify"), ["strings", "path is bytes"]),  # type: ignore[arg-type]
        (lambda: convert(IDENTIFY, "track-v1", strict="no"), ["strict=True or strict=False", 'str "no"']),  # type: ignore[arg-type]
        (lambda: convert_many([], "track-v1", strict=1), ["convert_many()", "strict=True or strict=False"]),  # type: ignore[arg-type]
        (lambda: get_limits("nope"), ["no limits profile named 'nope'", "default, pipelines-openapi"]),
        (lambda: Limits.default().single("track-v3"), ["api must be one of"]),
        (lambda: normalize_request_timestamps({}, "track-v3"), ["api must be 'track-v1', 'track-v2' or 'pipelines'"]),  # type: ignore[arg-type]
        (lambda: split_batch([], "pipelines", extra={"batch": []}), ["cannot set 'batch'"]),
    ],
)
def test_unusable_arguments_raise_a_typed_error(call: Callable[[], Any], words: list[str]) -> None:
    message = str(_raises_argument_error(call))
    for word in words:
        assert word in message


# -- options ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "allowed"),
    [
        ({"identifier_kind": "zzz"}, "'auto', 'id', 'email', 'cio_id'"),
        ({"identifier_kind": None}, "'auto', 'id', 'email', 'cio_id'"),
        ({"relationship_key": "x"}, "'relationship_traits', 'relationshipAttributes'"),
        ({"limits": "nope"}, "'default', 'pipelines-openapi'"),
        ({"limits": 32_000}, "a Limits value"),
        ({"kb": 7}, "1000 or 1024"),
        ({"kb": True}, "1000 or 1024"),
        ({"kb": 1024.0}, "1000 or 1024"),
        ({"convert_iso_attributes": "yes"}, "True or False"),
        ({"convert_iso_attributes": 1}, "True or False"),
    ],
)
def test_invalid_options_are_refused_when_made(values: dict[str, Any], allowed: str) -> None:
    error = _raises_argument_error(lambda: ConvertOptions(**values))
    [(name, value)] = values.items()
    assert f"ConvertOptions.{name}" in str(error) and allowed in str(error)
    assert error.argument == name and error.value == value
    _raises_argument_error(lambda: convert(IDENTIFY, "track-v2", **values))


def test_valid_options_are_accepted() -> None:
    ConvertOptions("email", "relationshipAttributes", False, "pipelines-openapi", 1024)
    ConvertOptions(limits=Limits.default(kb=1024))


def _v2_batch(n: int) -> Request:
    items = [
        {"type": "person", "action": "identify", "identifiers": {"id": str(i)}, "attributes": {"plan": "pro"}}
        for i in range(n)
    ]
    return Request("POST", "/api/v2/batch", {"batch": items})


def test_limits_option_takes_a_limits_value() -> None:
    request = _v2_batch(10)
    assert len(convert(request, "pipelines").requests) == 1
    tight = Limits(32_000, 500_000, 32_000, 1_000, 300, 1_000)
    result = convert(request, "pipelines", limits=tight)
    assert len(result.requests) > 1 and not result.losses
    assert [i["userId"] for r in result.requests for i in r.body["batch"]] == [str(i) for i in range(10)]
    for r in result.requests:
        check_size(r, tight)


@pytest.mark.parametrize(
    "call",
    [
        lambda: best_match(None),  # type: ignore[arg-type]
        lambda: best_match([None]),  # type: ignore[list-item]
        lambda: build_path(None, identifier="x"),  # type: ignore[arg-type]
        lambda: build_path("/api/v1/customers/{identifier}", identifier=None),  # type: ignore[arg-type]
        lambda: loads("1", line="2"),  # type: ignore[arg-type]
        lambda: list(iter_documents("x")),  # type: ignore[arg-type]
        lambda: list(iter_documents(io.StringIO('{"a": 1}\n'))),  # type: ignore[arg-type]
        lambda: normalize_request_timestamps({"timestamp": 1}, ["pipelines"]),  # type: ignore[arg-type]
        lambda: convert_iso_attributes({"a": "2023-04-26T13:05:09Z"}, base_pointer=5),  # type: ignore[arg-type]
    ],
    ids=[
        "best_match None",
        "best_match [None]",
        "build_path None template",
        "build_path None value",
        "loads line text",
        "iter_documents str",
        "iter_documents text stream",
        "normalize api list",
        "convert_iso_attributes pointer int",
    ],
)
def test_more_wrong_arguments_are_typed_errors(call: Callable[[], Any]) -> None:
    with pytest.raises(CioSchemasError) as caught:
        call()
    assert "(" in str(caught.value) or "must" in str(caught.value)


def test_a_huge_integer_key_is_a_typed_error_with_every_size_function() -> None:
    from cio_schemas import byte_size

    for call in (
        lambda: byte_size({10**5000: 1}),
        lambda: split_batch([{10**5000: 2}], "pipelines"),
        lambda: split_batch([{}], "pipelines", extra={10**5000: 2}),
    ):
        with pytest.raises(InvalidRequestError, match="integer too long"):
            call()


@pytest.mark.parametrize(
    ("request_", "pointer", "ends"),
    [
        (
            Request("PUT", "/api/v1/customers/42", {"created_at": "2024-01-02T03:04:05Z"}),
            "/created_at",
            "; Track takes timestamps as Unix seconds: 1704164645 (cio_schemas.timestamps.to_unix)",
        ),
        (
            Request("POST", "/v1/identify", {"userId": "u1", "timestamp": 1704164645}),
            "/timestamp",
            "; Pipelines takes timestamps as ISO 8601 strings: '2024-01-02T03:04:05.000Z' (cio_schemas.timestamps.to_iso)",
        ),
        (
            Request("POST", "/api/v2/entity", {"type": "person", "action": "identfy", "identifiers": {"id": "1"}}),
            "/action",
            "; did you mean 'identify'?",
        ),
        (
            Request("PUT", "/api/v1/customers/42/devices", {"device": {"id": "t", "platform": "IOS"}}),
            "/device/platform",
            "; did you mean 'ios'?",
        ),
        (
            Request("POST", "/v1/batch", {"batch": [{"userId": "u"}]}),
            "/batch/0",
            "; one of 'identify', 'track', 'page', 'screen', 'group', 'alias'",
        ),
        (
            Request("PUT", "/api/v1/customers/42", {"email": "nobody"}),
            "/email",
            "is not an email address (it needs an @)",
        ),
        (
            Request(
                "POST",
                "/api/v2/entity",
                {"type": "person", "action": "identify", "identifiers": {"id": "u", "email": "a@b.co"}},
            ),
            "/identifiers",
            "; give only one of them; found 2: 'id', 'email'",
        ),
        (
            Request("POST", "/v1/identify", [{"userId": "u1"}]),
            "",
            "; send one JSON object per request (several items go in a batch, one per line with the CLI)",
        ),
        (Request("POST", "/v1/identify", {"user_id": "u1"}), "", "; found 'user_id' (the key is 'userId')"),
        (Request("POST", "/v1/track", {"userId": "u", "Event": "e"}), "", "; found 'Event' (the key is 'event')"),
    ],
)
def test_messages_say_how_to_fix_common_mistakes(request_: Request, pointer: str, ends: str) -> None:
    [problem] = [p for p in iter_errors(request_) if p.pointer == pointer]
    assert problem.message.endswith(ends), problem.message


@pytest.mark.parametrize(
    ("body", "pointer", "keyword"),
    [
        ({"userId": 42}, "/userId", "type"),
        ({"type": "person", "action": "identify", "identifiers": {}}, "/identifiers", "required"),
    ],
)
def test_one_value_breaking_one_rule_is_one_problem(body: dict[str, Any], pointer: str, keyword: str) -> None:
    path = "/api/v2/entity" if "type" in body else "/v1/identify"
    problems = [(p.pointer, p.keyword) for p in iter_errors(Request("POST", path, body))]
    assert problems == [(pointer, keyword)]


def test_the_public_names_are_written_out_for_type_checkers() -> None:
    """``__all__`` is a literal list (mypy reads no computed one), equal to the lazy exports and to the
    names ``tests/typing_public_api.py`` (type-checked in CI) imports; each one resolves."""
    import ast
    from pathlib import Path

    import cio_schemas

    init = ast.parse(Path(cio_schemas.__file__).read_text())
    (literal,) = [
        node.value
        for node in init.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
    ]
    assert isinstance(literal, ast.List) and all(isinstance(e, ast.Constant) for e in literal.elts)
    assert cio_schemas.__all__ == [*sorted(cio_schemas._EXPORTS), "__version__"]
    usage = ast.parse((Path(__file__).parent / "typing_public_api.py").read_text())
    imported = [
        a.name for n in usage.body if isinstance(n, ast.ImportFrom) and n.module == "cio_schemas" for a in n.names
    ]
    assert sorted(imported) == sorted(cio_schemas._EXPORTS)
    for name in cio_schemas.__all__:
        assert getattr(cio_schemas, name) is not None


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (Request("PUT", "/api/v1/customers/42", {f"k{i}": i for i in range(301)}), "it has 301 keys; at most 300"),
        (
            Request("POST", "/api/v1/segments/1/add_customers", {"ids": [str(i) for i in range(1001)]}),
            "it has 1001 items; at most 1000",
        ),
    ],
)
def test_count_limits_say_the_count_and_the_limit(request_: Request, words: str) -> None:
    (problem,) = iter_errors(request_)
    assert words in problem.message
