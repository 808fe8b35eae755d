"""pytest plugin for cio-schemas: assertion helpers and the ``cio_schemas`` fixture.

Registered through the ``pytest11`` entry point, so it loads in every pytest run
of every project that installs cio-schemas. It therefore imports nothing heavy
at import time: the validator (``jsonschema``) and the converters load the first
time a helper runs.

The helpers raise :class:`AssertionError` with every problem on its own line
(JSON pointer, keyword, message), so a failing test shows at a glance what is
wrong and where::

    def test_signup_call(cio_schemas):
        cio_schemas.assert_valid("POST", "/v1/identify", {"userId": "42", "traits": {"plan": "pro"}})

    def test_rejects_bad_platform(cio_schemas):
        bad = {"method": "PUT", "path": "/api/v1/customers/42/devices",
               "body": {"device": {"id": "t", "platform": "web"}}}
        cio_schemas.assert_invalid(bad, pointer="/device/platform", keyword="enum")

The same functions can be imported without the fixture from
:mod:`cio_schemas.testing`. They are plain functions raising
``AssertionError``, so they need no assertion rewriting (the plugin does not
call ``pytest.register_assert_rewrite``) and also work under ``unittest``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .conversion import Conversion, Loss
    from .errors import Problem
    from .request import Request

__all__ = [
    "assert_valid_request",
    "assert_valid",
    "assert_invalid",
    "assert_converts",
    "CioSchemasHelpers",
]

_MAX_LINES = 50


# -- building requests and listing problems ------------------------------------------------
def _request(request_or_envelope: Any) -> Request:
    """A :class:`~cio_schemas.Request` from a request or its JSON form ``{"method", "path", "body"}``."""
    from .request import Request

    if isinstance(request_or_envelope, Request):
        return request_or_envelope
    return Request.from_json(request_or_envelope)


def _label(request: Any) -> str:
    try:
        return f"{request.method} {request.path}"
    except AttributeError:
        if isinstance(request, Mapping):
            return f"{request.get('method', '?')} {request.get('path', '?')}"
        return type(request).__name__


def _problems(request_or_envelope: Any) -> tuple[str, list[Problem]]:
    """The label and every problem of a request; a malformed envelope or unknown route is one problem."""
    from .errors import InvalidRequestError, Problem, UnknownRouteError
    from .validation import iter_errors

    label = _label(request_or_envelope)
    try:
        request = _request(request_or_envelope)
        label = _label(request)
        return label, list(iter_errors(request))
    except UnknownRouteError as exc:
        return label, [Problem("", "route", str(exc), request_or_envelope, "route")]
    except InvalidRequestError as exc:
        return label, [Problem(exc.pointer, "request", str(exc), request_or_envelope, "request")]


def _table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """Aligned lines ``  <where>  <keyword>  <message>``, at most ``_MAX_LINES`` of them."""
    shown = rows[:_MAX_LINES]
    w1 = max((len(r[0]) for r in shown), default=0)
    w2 = max((len(r[1]) for r in shown), default=0)
    lines = [f"  {a:<{w1}}  {b:<{w2}}  {c}".rstrip() for a, b, c in shown]
    if len(rows) > _MAX_LINES:
        lines.append(f"  … and {len(rows) - _MAX_LINES} more")
    return lines


_WHOLE: Mapping[str, str] = {"route": "(route)", "path": "(path)", "request": "(request)"}


def _problem_lines(problems: Iterable[Problem]) -> list[str]:
    return _table([(p.pointer or _WHOLE.get(p.keyword, "(body)"), p.keyword, p.message) for p in problems])


def _loss_lines(losses: Iterable[Loss]) -> list[str]:
    from .errors import abridge

    return _table([(x.pointer or "(request)", x.reason, f"{x.message} (value {abridge(x.value)})") for x in losses])


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- the helpers -----------------------------------------------------------------------------
def assert_valid_request(request_or_envelope: Any) -> None:
    """Fail unless the request is valid: its route exists and its body meets the route's schema.

    ``request_or_envelope`` is a :class:`~cio_schemas.Request` or its JSON form
    ``{"method": ..., "path": ..., "body": ...}``. The failure lists every
    problem, one per line: JSON pointer, keyword, message.
    """
    __tracebackhide__ = True
    label, problems = _problems(request_or_envelope)
    if problems:
        head = f"{label}: expected a valid request, found {_count(len(problems), 'problem')}:"
        raise AssertionError("\n".join([head, *_problem_lines(problems)]))


def assert_valid(method: str, path: str, body: Any = None) -> None:
    """Fail unless ``method`` + ``path`` with ``body`` is a valid request (see :func:`assert_valid_request`)."""
    __tracebackhide__ = True
    assert_valid_request({"method": method, "path": path, "body": body})


def assert_invalid(request: Any, pointer: str | None = None, keyword: str | None = None) -> list[Problem]:
    """Fail unless the request has a problem; with ``pointer`` and/or ``keyword``, one matching them.

    ``pointer`` is an RFC 6901 JSON pointer into the body (``/batch/0/userId``;
    ``""`` is the body itself) or the same place as a JSONPath (``$.batch[0].userId``);
    ``keyword`` is the rule broken (``required``, ``type``, ``maxBytes``, ``route`` …).
    Returns every problem found, for further checks.
    """
    __tracebackhide__ = True
    label, problems = _problems(request)
    wanted = " ".join(
        part
        for part in (
            f"at {pointer or '(body)'}" if pointer is not None else "",
            f"with keyword {keyword!r}" if keyword is not None else "",
        )
        if part
    )
    if not problems:
        raise AssertionError(f"{label}: expected a problem{' ' + wanted if wanted else ''}, but the request is valid")
    matching = [
        p
        for p in problems
        if (pointer is None or pointer in (p.pointer, p.json_path)) and (keyword is None or p.keyword == keyword)
    ]
    if not matching:
        head = f"{label}: expected a problem {wanted}; found {_count(len(problems), 'other problem')}:"
        raise AssertionError("\n".join([head, *_problem_lines(problems)]))
    return problems


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


def _envelopes(expected: Any) -> list[Any]:
    from .request import Request

    items = [expected] if isinstance(expected, (Mapping, Request)) else list(expected)
    return [r.to_json() if isinstance(r, Request) else dict(_request(r).to_json()) for r in items]


def assert_converts(
    request: Any,
    to: str,
    expected: Any = None,
    *,
    lossless: bool | None = None,
    strict: bool = False,
) -> Conversion:
    """Fail unless the request converts to the ``to`` API (``"pipelines"``, ``"track-v1"``, ``"track-v2"``).

    - ``expected``: the output request(s), as one envelope or a list of
      envelopes or :class:`~cio_schemas.Request` values; compared as JSON
      (so ``1`` and ``1.0`` or ``true`` differ), with a diff on failure.
    - ``lossless=True`` fails if any input value was lost (each loss is listed
      with its pointer, reason and message); ``lossless=False`` fails unless
      something was lost; ``None`` does not check.
    - ``strict`` is passed to :func:`cio_schemas.convert` (a lossy conversion
      then fails with its losses listed).

    An invalid input or a conversion with no counterpart fails with its
    problems or reason. Returns the :class:`~cio_schemas.Conversion`.
    """
    __tracebackhide__ = True
    import difflib

    from .converters import convert
    from .errors import (
        CioSchemasError,
        InvalidArgumentError,
        InvalidPayloadError,
        LossyConversionError,
        UnsupportedConversionError,
    )

    if lossless not in (True, False, None) or not isinstance(lossless, (bool, type(None))):
        raise InvalidArgumentError(
            f"assert_converts() takes lossless as True, False or None, not {InvalidArgumentError.describe(lossless)}",
            "lossless",
            lossless,
        )
    try:
        req = _request(request)
    except CioSchemasError as exc:  # a malformed envelope is a failed expectation, not a crash
        raise AssertionError(f"{_label(request)}: not a request: {exc}") from None
    label = _label(req)
    try:
        result = convert(req, to, strict=strict)
    except InvalidPayloadError as exc:
        head = f"{label}: cannot convert to {to}: the input has {_count(len(exc.problems), 'problem')}:"
        raise AssertionError("\n".join([head, *_problem_lines(exc.problems)])) from None
    except LossyConversionError as exc:
        head = f"{label}: strict conversion to {to} would lose {_count(len(exc.losses), 'value')}:"
        raise AssertionError("\n".join([head, *_loss_lines(exc.losses)])) from None
    except UnsupportedConversionError as exc:
        raise AssertionError(f"{label}: cannot convert to {to}: {exc.reason}") from None
    except CioSchemasError as exc:  # an unknown route, a body that is not JSON …
        raise AssertionError(f"{label}: cannot convert to {to}: {exc}") from None
    if expected is not None:
        want = [_canonical(e) for e in _envelopes(expected)]
        got = [_canonical(r.to_json()) for r in result.requests]
        if want != got:
            diff = difflib.unified_diff(
                "\n".join(want).splitlines(), "\n".join(got).splitlines(), "expected", "converted", lineterm=""
            )
            head = (
                f"{label}: the conversion to {to} differs from the expected output "
                f"({_count(len(got), 'request')} converted, {len(want)} expected):"
            )
            raise AssertionError("\n".join([head, *diff]))
    if lossless is True and result.losses:
        head = f"{label}: expected a lossless conversion to {to}, but {_count(len(result.losses), 'value')} lost:"
        raise AssertionError("\n".join([head, *_loss_lines(result.losses)]))
    if lossless is False and not result.losses:
        raise AssertionError(f"{label}: expected the conversion to {to} to lose values, but it lost none")
    return result


class CioSchemasHelpers:
    """What the ``cio_schemas`` fixture gives: the assertion helpers as methods.

    ``assert_valid_request``, ``assert_valid``, ``assert_invalid`` and
    ``assert_converts`` behave exactly like the module functions of the same name.
    """

    assert_valid_request = staticmethod(assert_valid_request)
    assert_valid = staticmethod(assert_valid)
    assert_invalid = staticmethod(assert_invalid)
    assert_converts = staticmethod(assert_converts)

    def __repr__(self) -> str:
        return "<cio_schemas assertion helpers>"


def _helpers() -> CioSchemasHelpers:
    """The ``cio_schemas`` fixture: assertion helpers for Customer.io requests.

    ``cio_schemas.assert_valid(method, path, body)``,
    ``cio_schemas.assert_valid_request(envelope)``,
    ``cio_schemas.assert_invalid(envelope, pointer=..., keyword=...)``,
    ``cio_schemas.assert_converts(envelope, to, expected, lossless=...)``.
    """
    return CioSchemasHelpers()


try:
    import pytest
except ImportError:  # pragma: no cover - cio_schemas.testing used without pytest installed
    pass
else:
    #: The ``cio_schemas`` fixture (pytest knows it by that name).
    cio_schemas_fixture = pytest.fixture(name="cio_schemas")(_helpers)
