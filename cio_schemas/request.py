"""The unit cio-schemas works on: a request, i.e. method + path + body.

A body alone is ambiguous (a Track v1 body does not say whose it is: the person
is in the path), so everything here takes and returns :class:`Request` values.
Its JSON form is ``{"method": "PUT", "path": "/api/v1/customers/42", "body": {...}}``
(``body`` absent or ``null`` for body-less calls); that is also one line of the
CLI's JSONL input and output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .catalog import Route, match_route
from .errors import InvalidArgumentError, InvalidRequestError, UnknownRouteError, abridge

__all__ = ["Request", "build_path", "HOSTS"]

#: Customer.io's API hosts (US and EU), mapped to the API family they serve.
HOSTS: Mapping[str, str] = {
    "track.customer.io": "track",
    "track-eu.customer.io": "track",
    "cdp.customer.io": "pipelines",
    "cdp-eu.customer.io": "pipelines",
}

_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "PATCH"})


#: A ``{name}`` placeholder in a route template.
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


def build_path(template: str, **params: str | int) -> str:
    """Fill a route template, percent-encoding each parameter (``@`` → ``%40``, ``/`` → ``%2F``).

    Every placeholder needs a value and every value a placeholder: a missing or
    unknown parameter raises :class:`~cio_schemas.errors.InvalidArgumentError`.

    A parameter of ``.`` or ``..`` raises :class:`~cio_schemas.errors.InvalidRequestError`:
    no path can carry it, since HTTP clients remove dot-segments, percent-encoded
    ones too (``/api/v1/customers/%2E%2E/events`` is sent as ``/api/v1/events``).
    """
    if not isinstance(template, str):
        raise InvalidArgumentError(
            "build_path() takes a route template such as '/api/v1/customers/{identifier}' (Route.template), "
            f"not {InvalidArgumentError.describe(template)}",
            "template",
            template,
        )
    wanted = _PLACEHOLDER.findall(template)
    unknown = [key for key in params if key not in wanted]
    missing = [key for key in wanted if key not in params]
    if unknown or missing:
        takes = "takes " + ", ".join(wanted) if wanted else "takes no parameters"
        problem = f"got an unknown parameter {unknown[0]!r}" if unknown else f"needs a value for {{{missing[0]}}}"
        raise InvalidArgumentError(
            f"build_path({template!r}) {problem}: the template {takes}",
            unknown[0] if unknown else missing[0],
            params.get(unknown[0]) if unknown else None,
        )
    out = template
    for key, value in params.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise InvalidArgumentError(
                f"path parameter {key!r} must be a string (or an int), not {InvalidArgumentError.describe(value)}",
                key,
                value,
            )
        try:
            encoded = quote(str(value), safe="")
        except (UnicodeEncodeError, ValueError) as exc:  # a lone surrogate; an int too long to print
            raise InvalidRequestError(
                f"path parameter {key!r} cannot be written as UTF-8 ({exc}); pass text without lone surrogates",
                "/path",
            ) from None
        if not encoded:
            raise InvalidRequestError(
                f"path parameter {key!r} is empty, and a path with an empty segment names nothing; give its value",
                "/path",
            )
        if encoded in (".", ".."):
            raise InvalidRequestError(
                f"path parameter {key!r} is {encoded!r}, which no path can carry: HTTP clients remove it as a "
                "dot-segment, even percent-encoded; use another identifier (an email or cio_id)",
                "/path",
            )
        out = out.replace("{" + key + "}", encoded)
    return out


def _api_of_other_host(method: str, path: str) -> str | None:
    """The API of the route ``path`` names, if any: as written, or as a Track path without its ``/api``."""
    candidates = [path, "/api" + path] if path.startswith(("/v1/", "/v2/")) else [path]
    for candidate in candidates:  # a Track path written without /api, as a Track host would take it
        try:
            return match_route(method, candidate)[0].api
        except UnknownRouteError:
            continue
    return None


@dataclass(frozen=True)
class Request:
    """An HTTP request to a Customer.io API, without headers or host.

    ``method`` is upper-cased; ``path`` starts with ``/`` and may carry a query
    string (``?id_type=email`` on the segment routes); ``body`` is the decoded
    JSON body (``None`` when there is none). Requests compare by value and
    cannot be reassigned; the body is the caller's object, never copied or
    modified by cio-schemas, so a request stays unchanged as long as its body
    does (change a body in place and equality changes with it).
    """

    method: str
    path: str
    body: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.method, str) or self.method.upper() not in _METHODS:
            raise InvalidRequestError(
                f"method must be one of {', '.join(sorted(_METHODS))}, not {abridge(self.method)}", "/method"
            )
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise InvalidRequestError(f"path must be a string starting with '/', not {abridge(self.path)}", "/path")
        if self.method != self.method.upper():
            object.__setattr__(self, "method", self.method.upper())

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any) -> Request:
        """Build a request from its JSON form ``{"method", "path", "body"}``.

        ``path`` may also be a full Customer.io URL (see :meth:`from_url`).
        Raises :class:`~cio_schemas.errors.InvalidRequestError` for anything else.
        """
        if not isinstance(data, Mapping):
            raise InvalidRequestError(
                f'a request is a JSON object {{"method", "path", "body"}}, not {type(data).__name__}'
            )
        unknown = sorted(str(k) for k in data if k not in ("method", "path", "body"))
        if unknown:
            raise InvalidRequestError(
                f"unknown key(s) {', '.join(map(repr, unknown))} in the request envelope; "
                'expected only "method", "path" and "body"',
                "/" + unknown[0],
            )
        for key in ("method", "path"):
            if key not in data:
                raise InvalidRequestError(f'the request envelope needs "{key}"', "")
        path = data["path"]
        if isinstance(path, str) and "://" in path:
            return cls.from_url(data["method"], path, data.get("body"))
        return cls(data["method"], path, data.get("body"))

    @classmethod
    def from_url(cls, method: str, url: str, body: Any = None) -> Request:
        """Build a request from a full URL on a US or EU Customer.io host.

        ``https://track.customer.io/api/v1/customers/42`` and
        ``https://cdp-eu.customer.io/v1/identify`` both work; Track URLs written
        without ``/api`` (``https://track.customer.io/v2/entity/``, as some docs
        do) get it added.
        """
        if not isinstance(url, str):
            raise InvalidRequestError(f"url must be a string, not {type(url).__name__}", "/path")
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        family = HOSTS.get(host)
        if parts.scheme not in ("http", "https") or family is None:
            raise InvalidRequestError(f"{url!r} is not on a Customer.io API host ({', '.join(HOSTS)})", "/path")
        path = parts.path or "/"
        if family == "track" and (path.startswith("/v1/") or path.startswith("/v2/")):
            path = "/api" + path
        if parts.query:
            path += "?" + parts.query
        request = cls(method, path, body)
        served: str | None
        try:
            served = request.route.api
        except UnknownRouteError:
            served = _api_of_other_host(request.method, parts.path or "/")
        if served is not None and (served == "pipelines") != (family == "pipelines"):
            hosts = " or ".join(h for h, f in HOSTS.items() if (f == "pipelines") == (served == "pipelines"))
            raise InvalidRequestError(
                f"{request.method} {parts.path} is a {'Pipelines' if served == 'pipelines' else 'Track'} API route, "
                f"which {host} does not serve; send it to {hosts}",
                "/path",
            )
        return request

    @classmethod
    def _for_route(cls, route: Route, body: Any) -> Request:
        """A request to a route without path parameters, built without checking or matching its path.

        Internal: batch items and converter outputs, whose routes are known,
        pay for neither (a batch makes several per item). Equal to
        ``Request(route.method, route.template, body)``.
        """
        out = object.__new__(cls)
        out.__dict__.update(method=route.method, path=route.template, body=body, _match=(route, {}))
        return out

    # -- derived ------------------------------------------------------------------------
    @property
    def _resolved(self) -> tuple[Route, dict[str, str]]:
        # Matched once, on first use (a plain attribute lookup afterwards: functools.cached_property
        # takes a lock on every access in Python < 3.12, which batch conversion would pay per item).
        found: tuple[Route, dict[str, str]] | None = self.__dict__.get("_match")
        if found is None:
            found = match_route(self.method, self.path)
            object.__setattr__(self, "_match", found)
        return found

    @property
    def route(self) -> Route:
        """The route this request is for; :class:`~cio_schemas.errors.UnknownRouteError` if none."""
        return self._resolved[0]

    @property
    def api(self) -> str:
        """``"track-v1"``, ``"track-v2"`` or ``"pipelines"``."""
        return self.route.api

    @property
    def params(self) -> dict[str, str]:
        """The route's path parameters, percent-decoded (``user%40example.com`` → ``user@example.com``)."""
        return dict(self._resolved[1])

    @property
    def query(self) -> dict[str, list[str]]:
        """The parsed query string (``{"id_type": ["email"]}``), empty when there is none."""
        _, _, q = self.path.partition("?")
        return parse_qs(q) if q else {}

    def to_json(self) -> dict[str, Any]:
        """The JSON form; ``body`` is left out when it is ``None``."""
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.body is not None:
            out["body"] = self.body
        return out

    def __hash__(self) -> int:  # bodies are dicts: hash the route only
        return hash((self.method, self.path))
