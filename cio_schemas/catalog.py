"""The single list of routes cio-schemas knows, and the tables that dispatch inside them.

Everything else (validation, conversion, the CLI's choices, the schema docs and
the test parametrisation) is derived from these tables, so a route that is
missing here is missing everywhere, visibly.

- :data:`ROUTES`: every Track v1, Track v2 and Pipelines endpoint, with its
  method, path template, schema name and whether it carries a body.
- :data:`V2_OPERATIONS`: Track v2 ``(type, action)`` → schema name.
- :data:`PIPELINES_CALLS`: Pipelines call ``type`` → schema name (the schema a
  batch item of that type is checked against).
- :data:`SEMANTIC_EVENTS`: Customer.io semantic event name → schema name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from .errors import InvalidArgumentError, InvalidRequestError, UnknownRouteError

__all__ = [
    "API",
    "APIS",
    "Route",
    "ROUTES",
    "V2_OPERATIONS",
    "PIPELINES_CALLS",
    "SEMANTIC_EVENTS",
    "match_route",
    "route_by_operation",
]

API = Literal["track-v1", "track-v2", "pipelines"]
APIS: tuple[API, ...] = ("track-v1", "track-v2", "pipelines")

_PARAM = re.compile(r"\{([a-z_]+)\}")
# A "%" that does not start an escape of two hex digits.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Route:
    """One endpoint: ``method`` + ``template`` (``/api/v1/customers/{identifier}``).

    ``schema`` names the body schema (see :func:`cio_schemas.get_schema`);
    ``body`` is False for routes that take no body; ``batch`` is True for the
    two batch endpoints; ``operation`` is the short name used across the
    library (``identify``, ``add_device``, ``batch`` …).
    """

    api: API
    operation: str
    method: str
    template: str
    schema: str
    body: bool = True
    batch: bool = False
    summary: str = ""
    params: tuple[str, ...] = field(init=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(_PARAM.findall(self.template)))
        pattern = "^" + _PARAM.sub(r"(?P<\1>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"))
        object.__setattr__(self, "_regex", re.compile(pattern + "/?$"))

    @property
    def name(self) -> str:
        """``METHOD template``, e.g. ``PUT /api/v1/customers/{identifier}``."""
        return f"{self.method} {self.template}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The percent-decoded path parameters if ``method`` + ``path`` is this route.

        A parameter with a malformed percent-escape (``%ZZ``, a ``%`` at the end)
        or that is a dot-segment (``.`` or ``..``, raw or percent-encoded, which
        HTTP clients remove from a path) raises :class:`~cio_schemas.errors.InvalidRequestError`; so does an escape
        that is not UTF-8 (``UnicodeDecodeError``, which :func:`match_route` turns
        into the same error).
        """
        if method != self.method:
            return None
        m = self._regex.match(path)
        if m is None:
            return None
        raw = m.groupdict()
        for value in raw.values():
            if "%" in value and _BAD_ESCAPE.search(value) is not None:
                raise InvalidRequestError(
                    f"a path parameter of {self.name} has a malformed percent-escape ({path}): "
                    "write % and two hex digits for each byte, and a literal % as %25 (build_path() does)",
                    "/path",
                )
        params = {k: unquote(v, errors="strict") for k, v in raw.items()}
        for value in params.values():
            if value in (".", ".."):
                raise InvalidRequestError(
                    f"a path parameter of {self.name} is the dot-segment {value!r} ({path}), which HTTP clients "
                    "remove from the path, even percent-encoded: this request cannot reach that route",
                    "/path",
                )
        return params


def _v1(operation: str, method: str, template: str, summary: str, *, body: bool = True) -> Route:
    return Route("track-v1", operation, method, template, f"track_v1/{operation}", body=body, summary=summary)


ROUTES: tuple[Route, ...] = (
    _v1("get_region", "GET", "/api/v1/accounts/region", "Look up the account's region", body=False),
    _v1("identify", "PUT", "/api/v1/customers/{identifier}", "Add or update a person"),
    _v1("delete", "DELETE", "/api/v1/customers/{identifier}", "Delete a person", body=False),
    _v1("add_device", "PUT", "/api/v1/customers/{identifier}/devices", "Add or update a device"),
    _v1("delete_device", "DELETE", "/api/v1/customers/{identifier}/devices/{device_id}", "Delete a device", body=False),
    _v1("suppress", "POST", "/api/v1/customers/{identifier}/suppress", "Suppress a person", body=False),
    _v1("unsuppress", "POST", "/api/v1/customers/{identifier}/unsuppress", "Unsuppress a person", body=False),
    _v1("unsubscribe", "POST", "/unsubscribe/{delivery_id}", "Unsubscribe attributed to a delivery"),
    _v1("track", "POST", "/api/v1/customers/{identifier}/events", "Track an event, page or screen view"),
    _v1("track_anonymous", "POST", "/api/v1/events", "Track an anonymous event"),
    _v1("submit_form", "POST", "/api/v1/forms/{form_id}/submit", "Submit a form"),
    _v1("merge", "POST", "/api/v1/merge_customers", "Merge two people"),
    _v1("metrics", "POST", "/api/v1/metrics", "Report a delivery metric"),
    _v1("push_metrics", "POST", "/api/v1/push/events", "Report a push metric (legacy)"),
    _v1("add_to_segment", "POST", "/api/v1/segments/{segment_id}/add_customers", "Add people to a manual segment"),
    _v1(
        "remove_from_segment",
        "POST",
        "/api/v1/segments/{segment_id}/remove_customers",
        "Remove people from a manual segment",
    ),
    Route(
        "track-v2",
        "entity",
        "POST",
        "/api/v2/entity",
        "track_v2/entity",
        summary="One person, object or delivery operation",
    ),
    Route(
        "track-v2", "batch", "POST", "/api/v2/batch", "track_v2/batch", batch=True, summary="A batch of v2 operations"
    ),
    Route("pipelines", "identify", "POST", "/v1/identify", "pipelines/identify", summary="Identify a person"),
    Route("pipelines", "track", "POST", "/v1/track", "pipelines/track", summary="Track an event or a semantic event"),
    Route("pipelines", "page", "POST", "/v1/page", "pipelines/page", summary="A page view"),
    Route("pipelines", "screen", "POST", "/v1/screen", "pipelines/screen", summary="A mobile screen view"),
    Route("pipelines", "group", "POST", "/v1/group", "pipelines/group", summary="Relate a person to an object (group)"),
    Route("pipelines", "alias", "POST", "/v1/alias", "pipelines/alias", summary="Merge a previous id into a user id"),
    Route(
        "pipelines", "batch", "POST", "/v1/batch", "pipelines/batch", batch=True, summary="A batch of Pipelines calls"
    ),
)

V2_OPERATIONS: Mapping[tuple[str, str], str] = {
    (t, a): f"track_v2/{t}/{a}"
    for t, actions in (
        (
            "person",
            (
                "identify",
                "delete",
                "event",
                "screen",
                "page",
                "add_relationships",
                "delete_relationships",
                "add_device",
                "delete_device",
                "merge",
                "suppress",
                "unsuppress",
            ),
        ),
        ("object", ("identify", "identify_anonymous", "delete", "add_relationships", "delete_relationships")),
        ("delivery", ("event",)),
    )
    for a in actions
}

PIPELINES_CALLS: Mapping[str, str] = {
    **{call: f"pipelines/{call}" for call in ("identify", "track", "page", "screen", "alias")},
    # A single /v1/group may only set the group's traits; a batch item must also name a person.
    "group": "pipelines/batch_group",
}

SEMANTIC_EVENTS: Mapping[str, str] = {
    name: "pipelines/semantic/" + name.lower().replace(" ", "_")
    for name in (
        "Device Created or Updated",
        "Device Deleted",
        "User Deleted",
        "Relationship Deleted",
        "Object Deleted",
        "User Suppressed",
        "User Unsuppressed",
        "Report Delivery Event",
        "Report Content Event",
    )
}

_BY_OPERATION: Mapping[tuple[str, str], Route] = {(r.api, r.operation): r for r in ROUTES}
_STATIC: Mapping[tuple[str, str], Route] = {(r.method, r.template): r for r in ROUTES if not r.params}


def route_by_operation(api: str, operation: str) -> Route:
    """The route of ``operation`` in ``api`` (``route_by_operation("track-v1", "identify")``)."""
    try:
        return _BY_OPERATION[(api, operation)]
    except KeyError:
        raise UnknownRouteError(api, operation, [r.name for r in ROUTES]) from None


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """Find the route of ``method`` + ``path`` (query string ignored) and its decoded parameters.

    Raises :class:`~cio_schemas.errors.UnknownRouteError` naming the routes that
    exist when nothing matches (a path known under another method says so), and
    :class:`~cio_schemas.errors.InvalidArgumentError` when ``method`` or ``path`` is not a string.
    """
    if not isinstance(method, str) or not isinstance(path, str):
        argument, value = ("method", method) if not isinstance(method, str) else ("path", path)
        raise InvalidArgumentError(
            f"match_route() takes the method and the path as strings (match_route('POST', '/v1/identify')); "
            f"{argument} is {InvalidArgumentError.describe(value)}",
            argument,
            value,
        )
    static = _STATIC.get((method, path))  # the common case, without any string work
    if static is not None:
        return static, {}
    bare = path.split("?", 1)[0].split("#", 1)[0]
    static = _STATIC.get((method, bare.rstrip("/") or "/"))
    if static is not None:
        return static, {}
    if method != method.upper():  # HTTP methods are case-sensitive, but nobody means another one by "post"
        return match_route(method.upper(), path)
    for route in ROUTES:
        try:
            params = route.match(method, bare)
        except UnicodeDecodeError:
            raise InvalidRequestError(
                f"a path parameter of {route.name} is not percent-encoded UTF-8 ({bare}); "
                "encode the identifier's UTF-8 bytes, as in %C3%A9 for é",
                "/path",
            ) from None
        if params is not None:
            return route, params
    others = sorted({r.method for r in ROUTES if r._regex.match(bare) is not None})
    known = [f"{m} {bare}" for m in others] if others else [r.name for r in ROUTES]
    raise UnknownRouteError(method, path, known)
