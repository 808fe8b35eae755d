"""The request model and the route table."""

from __future__ import annotations

import re

import pytest

from cio_schemas import Request, UnknownRouteError, build_path
from cio_schemas.catalog import ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS, Route, match_route, route_by_operation
from cio_schemas.errors import InvalidArgumentError, InvalidRequestError


def test_route_table_counts() -> None:
    apis = [r.api for r in ROUTES]
    assert apis.count("track-v1") == 16
    assert sum(r.body for r in ROUTES if r.api == "track-v1") == 11
    assert apis.count("track-v2") == 2
    assert apis.count("pipelines") == 7
    assert len(V2_OPERATIONS) == 18
    assert len(SEMANTIC_EVENTS) == 9


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_every_route_matches_its_own_template(route) -> None:
    params = {p: f"value-{p}" if p != "segment_id" else "7" for p in route.params}
    path = build_path(route.template, **params)
    found, decoded = match_route(route.method, path)
    assert found is route
    assert decoded == params
    assert match_route(route.method, path + "/")[0] is route  # trailing slash tolerated


def test_percent_decoding_and_encoding_round_trip() -> None:
    for ident in ["user@example.com", "a/b?c#d%e f", "😀 emoji", "cio_abc", "tab\there"]:
        path = build_path("/api/v1/customers/{identifier}", identifier=ident)
        assert "/" not in path[len("/api/v1/customers/") :]
        assert Request("PUT", path, {}).params == {"identifier": ident}
    assert build_path("/api/v1/customers/{identifier}", identifier="user@example.com") == (
        "/api/v1/customers/user%40example.com"
    )


def test_unknown_route_names_what_exists() -> None:
    with pytest.raises(UnknownRouteError) as info:
        _ = Request("POST", "/v1/nope").route
    assert "/v1/identify" in str(info.value)
    assert isinstance(info.value, LookupError)
    with pytest.raises(UnknownRouteError) as info:
        _ = Request("GET", "/v1/identify").route
    assert info.value.known == ("POST /v1/identify",)


def test_from_json_and_to_json() -> None:
    env = {"method": "put", "path": "/api/v1/customers/42", "body": {"a": 1}}
    r = Request.from_json(env)
    assert r.method == "PUT" and r.route.operation == "identify" and r.api == "track-v1"
    assert r.to_json() == {"method": "PUT", "path": "/api/v1/customers/42", "body": {"a": 1}}
    assert Request.from_json({"method": "DELETE", "path": "/api/v1/customers/42"}).to_json() == {
        "method": "DELETE",
        "path": "/api/v1/customers/42",
    }


@pytest.mark.parametrize(
    "env, pointer",
    [
        ([], ""),
        ({"method": "PUT"}, ""),
        ({"method": "PUT", "path": "/x", "bdy": {}}, "/bdy"),
        ({"method": "FETCH", "path": "/v1/identify"}, "/method"),
        ({"method": "POST", "path": "v1/identify"}, "/path"),
        ({"method": "POST", "path": 7}, "/path"),
        ({"method": "POST", "path": "https://example.com/v1/identify"}, "/path"),
    ],
)
def test_from_json_rejects_malformed_envelopes(env, pointer) -> None:
    with pytest.raises(InvalidRequestError) as info:
        Request.from_json(env)
    assert info.value.pointer == pointer


@pytest.mark.parametrize(
    "url, path, api",
    [
        ("https://track.customer.io/api/v1/customers/42", "/api/v1/customers/42", "track-v1"),
        ("https://track-eu.customer.io/api/v2/entity", "/api/v2/entity", "track-v2"),
        ("https://track.customer.io/v2/entity/", "/api/v2/entity/", "track-v2"),
        ("https://track.customer.io/v1/customers/user123/", "/api/v1/customers/user123/", "track-v1"),
        ("https://cdp.customer.io/v1/identify", "/v1/identify", "pipelines"),
        ("https://cdp-eu.customer.io/v1/batch", "/v1/batch", "pipelines"),
        (
            "https://track.customer.io/api/v1/segments/7/add_customers?id_type=email",
            "/api/v1/segments/7/add_customers?id_type=email",
            "track-v1",
        ),
    ],
)
def test_from_url(url: str, path: str, api: str) -> None:
    method = "PUT" if "customers/" in url and "segments" not in url else "POST"
    r = Request.from_url(method, url, {})
    assert r.path == path and r.api == api


@pytest.mark.parametrize(
    ("method", "url", "message"),
    [
        ("POST", "https://cdp.customer.io/api/v1/customers/1/events", "is a Track API route, which cdp.customer.io"),
        ("POST", "https://cdp-eu.customer.io/api/v2/batch", "send it to track.customer.io or track-eu.customer.io"),
        ("POST", "https://track.customer.io/v1/identify", "is a Pipelines API route, which track.customer.io"),
        ("POST", "https://track-eu.customer.io/v1/batch", "send it to cdp.customer.io or cdp-eu.customer.io"),
        ("POST", "https://cdp.customer.io/v2/entity", "POST /v2/entity is a Track API route"),
        ("PUT", "https://cdp-eu.customer.io/v1/customers/42", "PUT /v1/customers/42 is a Track API route"),
    ],
)
def test_from_url_refuses_a_route_the_host_does_not_serve(method: str, url: str, message: str) -> None:
    """A URL on one API's host naming the other API's route would fail when sent: it is refused, with the host."""
    with pytest.raises(InvalidRequestError, match=re.escape(message)):
        Request.from_url(method, url, {})


def test_query_string_is_kept_and_parsed() -> None:
    r = Request("POST", "/api/v1/segments/7/add_customers?id_type=email", {"ids": ["a@example.com"]})
    assert r.route.operation == "add_to_segment" and r.query == {"id_type": ["email"]}


def test_requests_are_frozen_values() -> None:
    r = Request("POST", "/v1/identify", {"userId": "1"})
    with pytest.raises(AttributeError):
        r.method = "GET"  # type: ignore[misc]
    assert r == Request("POST", "/v1/identify", {"userId": "1"}) and hash(r) == hash(Request("POST", "/v1/identify"))


def test_route_by_operation() -> None:
    assert route_by_operation("pipelines", "group").template == "/v1/group"
    with pytest.raises(UnknownRouteError):
        route_by_operation("pipelines", "nope")


@pytest.mark.parametrize(("ident", "encoded"), [("...", "..."), ("a.", "a."), (".a", ".a")])
def test_dots_that_are_not_dot_segments_stay(ident: str, encoded: str) -> None:
    path = build_path("/api/v1/customers/{identifier}/devices", identifier=ident)
    assert path == f"/api/v1/customers/{encoded}/devices"
    request = Request("PUT", path, {})
    assert request.route.operation == "add_device" and request.params == {"identifier": ident}


@pytest.mark.parametrize("ident", [".", ".."])
def test_build_path_refuses_a_dot_segment(ident: str) -> None:
    """Clients remove dot-segments, percent-encoded ones too: no path can carry them."""
    with pytest.raises(InvalidRequestError, match="dot-segment") as info:
        build_path("/api/v1/customers/{identifier}/devices", identifier=ident)
    assert info.value.pointer == "/path"


@pytest.mark.parametrize("segment", [".", "..", "%2E", "%2e%2E"])
def test_a_dot_segment_in_a_path_is_refused(segment: str) -> None:
    with pytest.raises(InvalidRequestError, match="dot-segment") as info:
        _ = Request("PUT", f"/api/v1/customers/{segment}/devices", {}).route
    assert info.value.pointer == "/path"


@pytest.mark.parametrize("user_id", [".", ".."])
def test_a_dot_segment_user_id_cannot_go_to_track_v1(user_id: str) -> None:
    from cio_schemas import UnsupportedConversionError, convert

    with pytest.raises(UnsupportedConversionError, match="dot-segment"):
        convert(Request("POST", "/v1/track", {"userId": user_id, "event": "e"}), "track-v1")
    # Track v2 carries identifiers in the body, where any string is fine.
    out = convert(Request("POST", "/v1/track", {"userId": user_id, "event": "e"}), "track-v2")
    assert out.requests[0].body["identifiers"] == {"id": user_id}


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/%ZZ", "/api/v1/customers/100%", "/api/v1/customers/a%2", "/unsubscribe/%g0"]
)
def test_a_malformed_percent_escape_in_a_path_is_refused(path: str) -> None:
    method = "POST" if path.startswith("/unsubscribe/") else "PUT"
    with pytest.raises(InvalidRequestError, match=r"malformed percent-escape.*%25") as info:
        _ = Request(method, path, {}).params
    assert info.value.pointer == "/path"
    # A literal % in an identifier is written %25 by build_path and read back as it was.
    assert Request("PUT", build_path("/api/v1/customers/{identifier}", identifier="100%ZZ")).params == {
        "identifier": "100%ZZ"
    }


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.params], ids=lambda r: r.name)
def test_a_request_built_for_a_known_route_is_the_request_its_path_gives(route: Route) -> None:
    body = {"a": [1]}
    built = Request._for_route(route, body)
    plain = Request(route.method, route.template, body)
    assert built == plain and hash(built) == hash(plain)
    assert (built.route, built.params, built.body) == (plain.route, plain.params, body)
    assert built.body is body


@pytest.mark.parametrize(
    ("method", "path", "named"),
    [
        ("POST", "/v1/identfy", ["POST /v1/identify"]),
        ("POST", "/api/v2/entities", ["POST /api/v2/entity", "POST /api/v2/batch"]),
        ("PUT", "/api/v1/customerz/42", ["PUT /api/v1/customers/{identifier}"]),
        ("POST", "/nothing", ["/api/v1/", "/api/v2/", "/v1/"]),
    ],
)
def test_an_unknown_route_names_the_nearest_ones_briefly(method: str, path: str, named: list[str]) -> None:
    with pytest.raises(UnknownRouteError) as info:
        match_route(method, path)
    message = str(info.value)
    assert all(n in message for n in named), message
    assert len(message) < 700 and "cio_schemas.ROUTES" in message
    assert info.value.known == tuple(r.name for r in ROUTES)  # every route is still there for code to read


def test_the_nearest_routes_prefer_the_same_last_segment() -> None:
    with pytest.raises(UnknownRouteError) as info:
        match_route("POST", "/api/v3/entity")
    assert "Nearest known routes: POST /api/v2/entity," in str(info.value)


@pytest.mark.parametrize(
    ("template", "params", "message"),
    [
        ("/api/v1/customers/{identifier}", {}, "needs a value for {identifier}: the template takes identifier"),
        ("/api/v1/customers/{identifier}", {"identifier": "1", "x": "2"}, "got an unknown parameter 'x'"),
        ("/v1/identify", {"identifier": "1"}, "the template takes no parameters"),
        ("/x/{a-b}", {}, "needs a value for {a-b}"),
    ],
)
def test_build_path_fills_every_placeholder_and_nothing_else(
    template: str, params: dict[str, str], message: str
) -> None:
    """A placeholder left unfilled or a parameter with no placeholder is an error, never a silent path."""
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        build_path(template, **params)


@pytest.mark.parametrize("method", ["post", "Post", "pOST"])
def test_match_route_reads_the_method_in_any_case(method: str) -> None:
    """``match_route("post", …)`` finds the route, as ``Request`` does (it upper-cases the method)."""
    assert match_route(method, "/v1/identify") == match_route("POST", "/v1/identify")
    with pytest.raises(UnknownRouteError):
        match_route(method.lower().replace("post", "get"), "/v1/identify")


def test_build_path_refuses_an_empty_parameter() -> None:
    """An empty identifier would leave a path that names nothing (``/api/v1/customers/``)."""
    with pytest.raises(InvalidRequestError, match="path parameter 'identifier' is empty"):
        build_path("/api/v1/customers/{identifier}", identifier="")


@pytest.mark.parametrize("path", ["/api/v1/customers/%ZZ", "/api/v1/customers/.", "/api/v1/customers/%2E%2E/devices"])
def test_a_path_no_client_can_send_is_a_validation_problem(path: str) -> None:
    """``is_valid`` answers False and ``iter_errors`` names the path (rule ``path``); nothing raises."""
    from cio_schemas import is_valid, iter_errors

    request = Request("PUT", path, {})
    assert is_valid(request) is False
    (problem,) = iter_errors(request)
    assert (problem.keyword, problem.pointer, problem.value) == ("path", "", path)


def test_the_nearest_routes_come_first_by_spelling_then_method() -> None:
    """A misspelled segment suggests the routes spelled alike, those of the same method first."""
    with pytest.raises(UnknownRouteError) as info:
        match_route("PUT", "/api/v1/customerz/x")
    near = str(info.value).split("Nearest known routes: ", 1)[1].split(" (", 1)[0].split(", ")
    assert near[:2] == ["PUT /api/v1/customers/{identifier}", "PUT /api/v1/customers/{identifier}/devices"]
    customers = [r for r in near if "/customers/" in r]
    assert near[: len(customers)] == customers and len(customers) == 7  # every /customers/ route before the rest
