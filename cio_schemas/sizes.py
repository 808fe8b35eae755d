"""Request size limits: measuring bodies, checking them, and splitting batches to fit.

How a size is measured
----------------------
The size of a body is the number of bytes of its compact UTF-8 JSON text::

    json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")

so ``é`` counts 2 bytes, ``😀`` 4, and characters JSON must escape count as
their escapes (``"`` and a newline 2 bytes each, other control characters 6:
``\\u0001``). Pretty-printed or ASCII-escaped JSON is larger (by up to 7% on
real data); when you know the exact bytes your client sends, pass them
(``raw=`` in :func:`check_size`, or :func:`byte_size` of the ``bytes``).

The limits
----------
:class:`Limits` holds every figure, in bytes. Two named profiles exist:

``"default"`` (:meth:`Limits.default`)
    Track: 32 KB per request, 500 KB per ``/api/v2/batch`` and 32 KB per
    batch item. Pipelines: 64 KB per call, 1 MB per ``/v1/batch`` and 64 KB
    per batch item (Customer.io's comparison page).
``"pipelines-openapi"`` (:meth:`Limits.pipelines_openapi`)
    Track as above; Pipelines 32 KB per call, 500 KB per batch and 32 KB per
    batch item (the Pipelines OpenAPI document, which also says an oversize
    call is answered ``200`` and dropped).

1 KB is 1000 bytes (and 1 MB 1000 KB) by default, the conservative reading
since an oversize call may be dropped silently; pass ``kb=1024`` for binary
units. Track v1 has no batch endpoint; its requests use the single limit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgumentError, InvalidRequestError, PayloadTooLargeError, pointer_from_parts

if TYPE_CHECKING:  # pragma: no cover
    from .request import Request

__all__ = [
    "Limits",
    "LIMIT_PROFILES",
    "DEFAULT_LIMITS",
    "get_limits",
    "byte_size",
    "SizeReport",
    "size_report",
    "check_size",
    "RejectedItem",
    "BatchSplit",
    "split_batch",
]

_APIS = ("track-v1", "track-v2", "pipelines")

#: How a passed value is shown in messages (the one rendering every argument error uses).
_show = InvalidArgumentError.describe


# -- measuring -----------------------------------------------------------------------------
#: The compact serialisation every size is measured on, built once (``json.dumps`` builds one per call).
_dumps: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _measure(value: Any, prefix: tuple[str | int, ...] = ()) -> int:
    """``byte_size`` of a JSON value; a typed error with a pointer for anything else."""
    try:
        return _utf8_len(_dumps(value))
    except (TypeError, ValueError, RecursionError):
        parts, why = _find_problem(value)
        raise InvalidRequestError(
            f"the body cannot be sent as JSON: {why}", pointer_from_parts((*prefix, *parts))
        ) from None


def _find_problem(value: Any) -> tuple[tuple[str | int, ...], str]:
    """Where and why ``value`` is not JSON (the slow path, run only after a failure)."""
    try:
        found = _walk_problem(value, (), set())
    except RecursionError:
        return (), "it is nested too deeply"
    return found if found is not None else ((), "it is not JSON")


def _bad_text(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"a lone surrogate U+{ord(text[exc.start]):04X} cannot be encoded as UTF-8; "
            "fix the text (pair the surrogates or remove the character)"
        )
    return None


def _walk_problem(value: Any, parts: tuple[str | int, ...], seen: set[int]) -> tuple[tuple[str | int, ...], str] | None:
    if isinstance(value, str):
        why = _bad_text(value)
        return (parts, why) if why else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            str(value)
        except ValueError:
            return parts, "an integer too long to write as JSON"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (parts, f"{value!r} is not JSON; send a finite number or null")
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            return parts, "a circular reference"
        seen = seen | {id(value)}
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    why = _bad_text(key)
                    if why:
                        return (*parts, key), f"its key: {why}"
                elif not (key is None or isinstance(key, (int, float, bool))):
                    return parts, f"a key of type {type(key).__name__}; JSON keys are strings"
                elif isinstance(key, int) and _walk_problem(key, parts, seen) is not None:
                    return parts, "a key that is an integer too long to write as JSON"
                found = _walk_problem(item, (*parts, str(key)), seen)
                if found:
                    return found
        else:
            for i, item in enumerate(value):
                found = _walk_problem(item, (*parts, i), seen)
                if found:
                    return found
        return None
    return parts, f"a {type(value).__name__} is not a JSON value"


def byte_size(body_or_bytes: Any) -> int:
    """The size in bytes of a body as it is sent.

    ``bytes``, ``bytearray`` and ``memoryview`` are taken as the exact bytes
    sent (their length); anything else is a JSON value, measured as its compact
    UTF-8 JSON text (see the module docstring). A ``str`` is a JSON string
    value (measured with its quotes); to measure JSON text you already have,
    pass its UTF-8 bytes.

    Raises :class:`~cio_schemas.errors.InvalidRequestError`, with the pointer
    of the offending value, for anything that is not JSON: NaN or infinity,
    non-JSON types, lone surrogates in strings, circular references.
    """
    if isinstance(body_or_bytes, (bytes, bytearray)):
        return len(body_or_bytes)
    if isinstance(body_or_bytes, memoryview):
        return body_or_bytes.nbytes
    return _measure(body_or_bytes)


def _batch_sizes(body: Any) -> tuple[int, tuple[int, ...]] | None:
    """(whole size, item sizes) of a batch body, serialising every part once; None if not a batch."""
    if not isinstance(body, dict):
        return None
    items = body.get("batch")
    if not isinstance(items, (list, tuple)) or not all(isinstance(k, str) for k in body):
        return None
    item_sizes = tuple(_measure(item, ("batch", i)) for i, item in enumerate(items))
    total = 2 + len(body) - 1  # the braces, and a comma between members
    for key, value in body.items():
        try:
            total += _utf8_len(_dumps(key)) + 1  # "key":
        except ValueError:
            raise InvalidRequestError(f"the body cannot be sent as JSON: its key: {_bad_text(key)}", "") from None
        if key == "batch":
            total += 2 + sum(item_sizes) + max(len(item_sizes) - 1, 0)  # [a,b,c]
        else:
            total += _measure(value, (key,))
    return total, item_sizes


# -- limits --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Byte limits for each API and scope; a value to pass, never a hidden constant.

    ``*_single`` applies to a request that is not a batch, ``*_batch`` to a
    whole batch body, ``*_item`` to each item of a batch (each measured alone).
    ``kb`` records the kilobyte the figures were made with (1000 or 1024).
    Build one from a profile (:meth:`default`, :meth:`pipelines_openapi`,
    :func:`get_limits`) or with any figures of your own.
    """

    track_single: int
    track_batch: int
    track_item: int
    pipelines_single: int
    pipelines_batch: int
    pipelines_item: int
    kb: int = 1000

    def __post_init__(self) -> None:
        for name in (
            "track_single",
            "track_batch",
            "track_item",
            "pipelines_single",
            "pipelines_batch",
            "pipelines_item",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidArgumentError(
                    f"Limits.{name} must be a positive number of bytes, not {_show(value)}",
                    name,
                    value,
                )
        if not valid_kb(self.kb):
            raise InvalidArgumentError(f"Limits.kb must be 1000 or 1024, not {_show(self.kb)}", "kb", self.kb)

    @classmethod
    def default(cls, kb: int = 1000) -> Limits:
        """Track 32 KB / 500 KB / 32 KB per item; Pipelines 64 KB / 1 MB / 64 KB per item."""
        _check_kb(kb)
        return cls(32 * kb, 500 * kb, 32 * kb, 64 * kb, kb * kb, 64 * kb, kb)

    @classmethod
    def pipelines_openapi(cls, kb: int = 1000) -> Limits:
        """Track as :meth:`default`; Pipelines 32 KB / 500 KB / 32 KB per item (its OpenAPI's figures)."""
        _check_kb(kb)
        return cls(32 * kb, 500 * kb, 32 * kb, 32 * kb, 500 * kb, 32 * kb, kb)

    def _pick(self, api: str, track: int, pipelines: int) -> int:
        if api in ("track-v1", "track-v2"):
            return track
        if api == "pipelines":
            return pipelines
        raise InvalidArgumentError(f"api must be one of {', '.join(_APIS)}, not {_show(api)}", "api", api)

    def single(self, api: str) -> int:
        """The limit for one request of ``api`` that is not a batch."""
        return self._pick(api, self.track_single, self.pipelines_single)

    def batch(self, api: str) -> int:
        """The limit for a whole batch body of ``api`` (Track: ``/api/v2/batch``)."""
        return self._pick(api, self.track_batch, self.pipelines_batch)

    def item(self, api: str) -> int:
        """The limit for each item of a batch of ``api``."""
        return self._pick(api, self.track_item, self.pipelines_item)


def valid_kb(kb: object) -> bool:
    """A kilobyte cio-schemas knows: the int 1000 or 1024 (not ``True``, not ``1024.0``)."""
    return type(kb) is int and kb in (1000, 1024)


def _check_kb(kb: int) -> None:
    if not valid_kb(kb):
        raise InvalidArgumentError(f"kb must be 1000 or 1024, not {_show(kb)}", "kb", kb)


#: The named limit profiles; each takes ``kb`` (1000 or 1024).
LIMIT_PROFILES: dict[str, Callable[..., Limits]] = {
    "default": Limits.default,
    "pipelines-openapi": Limits.pipelines_openapi,
}

#: ``Limits.default()``: the limits used when none are passed.
DEFAULT_LIMITS: Limits = Limits.default()


def get_limits(name: str | Limits, kb: int = 1000) -> Limits:
    """The limits of a named profile (see :data:`LIMIT_PROFILES`) with 1 KB = ``kb`` bytes.

    A :class:`Limits` value is returned as it is (its figures already carry
    their kilobyte, so ``kb`` is not applied to it).

    Raises :class:`~cio_schemas.errors.InvalidArgumentError` for an unknown name, or a value that is
    neither a name nor a ``Limits``.
    """
    if isinstance(name, Limits):
        _check_kb(kb)
        return name
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"limits are a profile name ({', '.join(map(repr, LIMIT_PROFILES))}) or a Limits value, not {_show(name)}",
            "name",
            name,
        )
    _check_kb(kb)
    if name == "default" and kb == 1000:
        return DEFAULT_LIMITS
    factory = LIMIT_PROFILES.get(name)
    if factory is None:
        raise InvalidArgumentError(
            f"no limits profile named {name!r}; choose one of {', '.join(LIMIT_PROFILES)}", "limits", name
        )
    return factory(kb=kb)


def _expect_limits(function: str, limits: object) -> None:
    """Raise :class:`InvalidArgumentError` unless ``limits`` is a :class:`Limits` value."""
    if isinstance(limits, Limits):
        return
    if isinstance(limits, str) and limits in LIMIT_PROFILES:
        hint = f"get_limits({limits!r})"
    else:
        hint = "Limits.default(), or get_limits(name) with a name among " + ", ".join(map(repr, LIMIT_PROFILES))
    raise InvalidArgumentError(
        f"{function}() takes limits as a Limits value ({hint}), not {_show(limits)}",
        "limits",
        limits,
    )


def _expect_request(function: str, request: object, limits: object, raw: object) -> None:
    """Raise :class:`InvalidArgumentError` for arguments :func:`size_report` and :func:`check_size` cannot use."""
    from .request import Request

    if not isinstance(request, Request):
        raise InvalidArgumentError.not_a_request(function, request)
    _expect_limits(function, limits)
    if raw is not None and not isinstance(raw, (bytes, bytearray, memoryview)):
        raise InvalidArgumentError(
            f"{function}() takes raw as the exact bytes sent (text.encode('utf-8')), not {_show(raw)}",
            "raw",
            raw,
        )


# -- checking requests ---------------------------------------------------------------------
@dataclass(frozen=True)
class SizeReport:
    """The size of a request against its limits.

    ``size`` and ``limit`` are the whole body's size and limit in bytes;
    ``scope`` is ``"single"`` or ``"batch"`` (which limit ``limit`` is).
    For a batch, ``item_sizes`` holds each item's size, ``item_limit`` the
    per-item limit and ``items_over`` the indexes of the items over it.
    ``ok`` is True when the body and every item are within their limits.
    ``route`` names the route (``POST /api/v2/batch``).
    """

    size: int
    limit: int
    scope: str
    ok: bool
    items_over: tuple[int, ...] = ()
    route: str = ""
    item_sizes: tuple[int, ...] = ()
    item_limit: int | None = None


def _whole_size(body: Any, raw: bytes | None) -> int:
    if raw is not None:
        return byte_size(raw)
    return 0 if body is None else _measure(body)


def size_report(request: Request, limits: Limits = DEFAULT_LIMITS, *, raw: bytes | None = None) -> SizeReport:
    """Measure a request against ``limits``; never raises for an oversize body.

    A batch body (``/api/v2/batch``, ``/v1/batch``) is checked as a whole and
    item by item; every part is serialised once and the whole size is derived
    from the parts. ``raw``, when given, is the exact bytes sent and sets the
    whole size (items are still measured from ``request.body``). A request with
    no body has size 0.

    Raises :class:`~cio_schemas.errors.UnknownRouteError` for an unknown route
    and :class:`~cio_schemas.errors.InvalidRequestError` for a body that is not
    JSON.
    """
    _expect_request("size_report", request, limits, raw)
    route = request.route
    body = request.body
    if not route.batch:
        size = _whole_size(body, raw)
        limit = limits.single(route.api)
        return SizeReport(size, limit, "single", size <= limit, route=route.name)

    limit = limits.batch(route.api)
    item_limit = limits.item(route.api)
    measured = _batch_sizes(body)
    item_sizes: tuple[int, ...] = ()
    if measured is None:
        size = _whole_size(body, raw)
    else:
        size, item_sizes = measured
        if raw is not None:
            size = byte_size(raw)
    over = tuple(i for i, s in enumerate(item_sizes) if s > item_limit)
    return SizeReport(
        size,
        limit,
        "batch",
        size <= limit and not over,
        items_over=over,
        route=route.name,
        item_sizes=item_sizes,
        item_limit=item_limit,
    )


def check_size(request: Request, limits: Limits = DEFAULT_LIMITS, *, raw: bytes | None = None) -> None:
    """Raise :class:`~cio_schemas.errors.PayloadTooLargeError` if the request is over a limit.

    Items over the per-item limit are reported first (``scope="item"``, with
    their indexes, the largest one's size and the item limit), since
    splitting the batch cannot fix them; then a whole body over its limit
    (``scope="single"`` or ``"batch"``). See :func:`size_report`.
    """
    _expect_request("check_size", request, limits, raw)
    report = size_report(request, limits, raw=raw)
    if report.ok:
        return
    if report.items_over and report.item_limit is not None:
        largest = max(report.item_sizes[i] for i in report.items_over)
        raise PayloadTooLargeError(largest, report.item_limit, "item", report.items_over, report.route)
    raise PayloadTooLargeError(report.size, report.limit, report.scope, route=report.route)


# -- splitting batches ---------------------------------------------------------------------
@dataclass(frozen=True)
class RejectedItem:
    """A batch item that cannot be sent in any batch.

    ``index`` is its position in the input, ``size`` its size in bytes,
    ``limit`` the limit it breaks (``scope`` says which: ``"item"`` for the
    per-item limit, ``"batch"`` when it does not fit a batch on its own with
    the batch envelope), ``reason`` a sentence saying so.
    """

    index: int
    item: Any
    size: int
    limit: int
    reason: str
    scope: str = "item"


@dataclass(frozen=True)
class BatchSplit:
    """The result of :func:`split_batch`.

    ``batches`` are full batch bodies, in order; ``indexes[k]`` lists the
    input positions of the items of ``batches[k]``; ``sizes[k]`` is the byte
    size of ``batches[k]``; ``rejected`` lists every item that fits no batch.
    Every input item is in exactly one batch or in ``rejected``.
    """

    batches: tuple[dict[str, Any], ...]
    rejected: tuple[RejectedItem, ...]
    indexes: tuple[tuple[int, ...], ...] = ()
    sizes: tuple[int, ...] = ()


def split_batch(
    items: Iterable[Any],
    api: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    extra: Mapping[str, Any] | None = None,
) -> BatchSplit:
    """Pack items, in order, into as few batch bodies as fit the limits of ``api``.

    ``api`` is ``"track-v2"`` (``/api/v2/batch``) or ``"pipelines"``
    (``/v1/batch``). Each batch is ``{"batch": [...], **extra}``: ``extra``
    holds batch-level keys copied into every batch (Pipelines ``context`` and
    ``integrations``) and counts toward each batch's size. Items and ``extra``
    values are shared with the input, not copied; nothing is modified. Items
    are taken as the batch items they already are: a Pipelines item names its
    call in ``type`` (a ``/v1/track`` body needs ``"type": "track"`` added), a
    Track v2 item its ``type`` and ``action``; nothing is added to them.

    Packing is greedy and tight: order is kept, and every batch but the last
    would go over the batch limit if the next item were added. An item over
    the per-item limit, or too large to fit a batch on its own, is put in
    ``rejected`` with its reason, never dropped silently. Runs in linear time,
    serialising each item once.

    Raises :class:`~cio_schemas.errors.InvalidRequestError` for an item that is
    not JSON, and :class:`~cio_schemas.errors.InvalidArgumentError` for another
    ``api``, when ``items`` is not a sequence of items, ``limits`` not a
    :class:`Limits`, or ``extra`` not a mapping or one with a ``batch`` key.
    """
    if isinstance(items, (str, bytes, bytearray, Mapping)) or not isinstance(items, Iterable):
        hint = " (for a batch body, pass body['batch'])" if isinstance(items, Mapping) else ""
        raise InvalidArgumentError(
            f"split_batch() takes the items as a list (or any iterable) of JSON values{hint}, not {_show(items)}",
            "items",
            items,
        )
    _expect_limits("split_batch", limits)
    if extra is not None and not isinstance(extra, Mapping):
        raise InvalidArgumentError(
            f"split_batch() takes extra as a mapping of batch-level keys, not {_show(extra)}",
            "extra",
            extra,
        )
    if api not in ("track-v2", "pipelines"):
        hint = " (Track v1 has no batch endpoint: use 'track-v2')" if api == "track-v1" else ""
        raise InvalidArgumentError(f"api must be 'track-v2' or 'pipelines', not {_show(api)}{hint}", "api", api)
    extra = dict(extra or {})
    if "batch" in extra:
        raise InvalidArgumentError(
            "extra holds batch-level keys besides 'batch'; it cannot set 'batch' itself", "extra", extra
        )
    batch_limit = limits.batch(api)
    item_limit = limits.item(api)
    envelope = _measure({"batch": [], **extra})

    batches: list[dict[str, Any]] = []
    indexes: list[tuple[int, ...]] = []
    sizes: list[int] = []
    rejected: list[RejectedItem] = []
    current: list[Any] = []
    current_idx: list[int] = []
    current_size = envelope

    def close() -> None:
        batches.append({"batch": list(current), **extra})
        indexes.append(tuple(current_idx))
        sizes.append(current_size)

    for i, item in enumerate(items):
        size = _measure(item, (i,))
        if size > item_limit:
            reason = f"item {i} is {size} bytes, over the {item_limit}-byte limit for one batch item; shrink it"
            rejected.append(RejectedItem(i, item, size, item_limit, reason, "item"))
            continue
        if envelope + size > batch_limit:
            reason = (
                f"item {i} is {size} bytes; with the {envelope}-byte batch envelope it is over the "
                f"{batch_limit}-byte batch limit even alone; shrink it or the batch-level keys"
            )
            rejected.append(RejectedItem(i, item, size, batch_limit, reason, "batch"))
            continue
        if current and current_size + 1 + size > batch_limit:
            close()
            current, current_idx, current_size = [], [], envelope
        current_size += size + (1 if current else 0)
        current.append(item)
        current_idx.append(i)
    if current:
        close()
    return BatchSplit(tuple(batches), tuple(rejected), tuple(indexes), tuple(sizes))
