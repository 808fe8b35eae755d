"""Capture the HTTP requests that Customer.io's Python clients send, without sending them.

Both official clients speak HTTP through ``requests``:

- ``customerio`` (Track API: ``customerio.track.CustomerIO``) calls
  ``Session.request`` on a session of its own, with ``json=`` bodies;
- ``customerio-cdp-analytics`` (Pipelines API: ``customerio.analytics``) calls
  ``Session.post`` on a module-level session with a pre-encoded (optionally
  gzipped) ``data=`` body, always to ``/v1/batch``.

Every such call ends in ``requests.adapters.HTTPAdapter.send`` (the Track
client's keep-alive adapter inherits it), so that is the one place replaced
here: the session has already applied auth, headers and body encoding, and the
captured request is byte for byte what would have gone out. The replacement
answers ``200 {}`` at once. As a second guard, opening any socket while
recording raises.

A capture becomes a :class:`cio_schemas.Request`: the method, the URL's path
(and query string) without scheme or host, and the JSON-decoded body (``None``
when there is none).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from cio_schemas import Request

__all__ = ["Captured", "Recorder", "recording"]


@dataclass(frozen=True)
class Captured:
    """One request as it would have been sent."""

    method: str
    url: str
    headers: dict[str, str]
    raw_body: bytes | None
    request: Request

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


def _decode_body(raw: bytes | None, headers: CaseInsensitiveDict[str]) -> Any:
    if not raw:
        return None
    if headers.get("Content-Encoding", "").lower() == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw.decode("utf-8"))


class Recorder:
    """Collects :class:`Captured` requests; thread-safe (the Pipelines consumer posts from its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.captured: list[Captured] = []

    @property
    def requests(self) -> list[Request]:
        """The captured requests, in the order they were sent."""
        with self._lock:
            return [c.request for c in self.captured]

    def clear(self) -> None:
        with self._lock:
            self.captured.clear()

    def _send(self, prepared: requests.PreparedRequest) -> requests.Response:
        body = prepared.body
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if raw is not None and not isinstance(raw, bytes):
            raise TypeError(f"unexpected request body type {type(raw).__name__} for {prepared.url}")
        headers = CaseInsensitiveDict(prepared.headers)
        url = prepared.url or ""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        method = prepared.method or "GET"
        captured = Captured(
            method=method,
            url=url,
            headers=dict(headers),
            raw_body=raw,
            request=Request(method, path, _decode_body(raw, headers)),
        )
        with self._lock:
            self.captured.append(captured)

        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.url = url
        response.request = prepared
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.encoding = "utf-8"
        response._content = b"{}"
        return response


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"a client tried to open a network connection while recording: {args!r}")


@contextmanager
def recording() -> Iterator[Recorder]:
    """Replace the HTTP transport of both clients for the duration of the block."""
    recorder = Recorder()

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        return recorder._send(request)

    with (
        mock.patch.object(HTTPAdapter, "send", send),
        mock.patch.object(socket.socket, "connect", _no_network),
        mock.patch.object(socket, "create_connection", _no_network),
    ):
        yield recorder
