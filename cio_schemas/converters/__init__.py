"""``convert()``: turn a request of one API into the equivalent request(s) of another.

Dispatch goes through one table, :data:`CONVERTERS`, keyed by
``(schema name of the input, target API)``: the schema the validator selects
for a request (``track_v1/identify``, ``track_v2/person/add_device``,
``pipelines/semantic/user_deleted`` …) names its shape, so the converters, the
validator and the schema docs share one vocabulary, and a missing pair is a
visible gap. Batches are handled here, generically: every item goes through the
single-item converter, then the outputs are re-chunked under the target's
limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..catalog import route_by_operation
from ..conversion import Context, Conversion, ConvertOptions, Node, Target
from ..errors import InvalidArgumentError, LossyConversionError, UnsupportedConversionError, pointer_from_parts
from ..jsonio import is_plain, tuples_as_lists
from ..request import Request
from ..sizes import get_limits
from ..validation import check, item_schema, track_schema
from ._batch import keep_fitting, merge_adjacent, pack, split_items
from ._common import implied

__all__ = ["convert", "convert_many", "CONVERTERS", "COALESCERS", "Converter", "source_kind", "TARGETS"]

#: A single-item converter: the input body's view, the input request, the context → output requests.
Converter = Callable[[Node, Request, Context], list[Request]]

TARGETS: tuple[Target, ...] = ("pipelines", "track-v1", "track-v2")

#: ``(input schema name, target API)`` → converter. Filled by the direction modules below.
CONVERTERS: dict[tuple[str, str], Converter] = {}

#: Target API → a function merging adjacent output requests that belong together
#: (an identify followed by its relationships), so that round trips are exact.
COALESCERS: dict[str, Callable[[list[Request], int | None], list[Request]]] = {}

#: Why a route has no converter to a target (forms, segments, …).
UNSUPPORTED: dict[tuple[str, str], str] = {}


def register(kind: str, target: str) -> Callable[[Converter], Converter]:
    """Decorator: register a converter for ``(kind, target)``."""

    def deco(fn: Converter) -> Converter:
        if (kind, target) in CONVERTERS:
            raise RuntimeError(f"two converters for {kind} → {target}")
        CONVERTERS[(kind, target)] = fn
        return fn

    return deco


def source_kind(request: Request) -> str:
    """The schema name that describes ``request``'s shape (the key into :data:`CONVERTERS`)."""
    route = request.route
    if route.batch or route.api == "track-v1":
        return route.schema
    if route.api == "track-v2":
        return item_schema("track-v2", request.body) or route.schema
    if route.operation == "track" and isinstance(request.body, Mapping):
        return track_schema(request.body)
    return route.schema


def _convert_one(request: Request, kind: str, ctx: Context, pointer: str) -> list[Request]:
    fn = CONVERTERS.get((kind, ctx.target))
    api = request.route.api
    if fn is None:
        reason = UNSUPPORTED.get((kind, ctx.target)) or UNSUPPORTED.get((kind, "*"))
        raise UnsupportedConversionError(
            f"{request.method} {request.route.template}" + (f" ({kind})" if kind != request.route.schema else ""),
            ctx.target,
            reason or "no converter for this shape",
        )
    body = request.body if isinstance(request.body, Mapping) else {}
    if api == "pipelines" and (body.get("userId", 0) is None or body.get("anonymousId", 0) is None):
        # null means absent for these two (the schemas say so): no converter sees them, nothing is lost
        body = {k: v for k, v in body.items() if not (v is None and k in ("userId", "anonymousId"))}
    node = ctx.root(body, pointer)
    if api == "pipelines" and pointer == "/body":
        implied(ctx, node, "type")  # the route says it; converting back leaves it out (a batch item keeps it)
    elif api == "pipelines":
        node.use("type")
    elif api == "track-v2":
        node.use("type", "action")
    return fn(node, request, ctx)


def _batch_items(request: Request) -> Iterable[tuple[int, Request, str]]:
    pipelines = request.route.api == "pipelines"
    entity = route_by_operation("track-v2", "entity")
    for index, item in enumerate(request.body["batch"]):
        if pipelines:
            route = route_by_operation("pipelines", item["type"])
            sub = Request._for_route(route, item)
        else:
            sub = Request._for_route(entity, item)
        yield index, sub, source_kind(sub)


def _convert_batch(request: Request, ctx: Context) -> list[Request]:
    body = request.body
    envelope = ctx.root(body)
    envelope.use("batch")
    converted: list[tuple[int, list[Request]]] = []
    for index, sub, kind in _batch_items(request):
        mark = ctx.mark()
        try:
            converted.append((index, _convert_one(sub, kind, ctx, f"/body/batch/{index}")))
        except UnsupportedConversionError as exc:
            # One item without a counterpart must not sink the others: it is reported, never dropped silently.
            ctx.rollback(mark)
            ctx.lose(f"/body/batch/{index}", sub.body, "unsupported", exc.reason)
    return pack(request, envelope, converted, ctx)


def _check_target(function: str, to: object, strict: object) -> None:
    """:class:`InvalidArgumentError` unless ``to`` names a target API and ``strict`` is True or False."""
    if not isinstance(to, str) or to not in TARGETS:
        raise InvalidArgumentError(
            f"{function}() converts to one of {', '.join(map(repr, TARGETS))}, not {InvalidArgumentError.describe(to)}",
            "to",
            to,
        )
    if not isinstance(strict, bool):
        raise InvalidArgumentError(
            f"{function}() takes strict=True or strict=False, not {InvalidArgumentError.describe(strict)}",
            "strict",
            strict,
        )


def _convert(request: Request, plain: bool, ctx: Context) -> list[Request]:
    """The requests of another API for a valid ``request`` (``plain``: its body is plain JSON, no tuples)."""
    route = request.route
    to = ctx.target
    body = request.body if plain else tuples_as_lists(request.body)  # converters read arrays as lists
    work = request if body is request.body else Request(request.method, request.path, body)
    out = _convert_batch(work, ctx) if route.batch else _convert_one(work, source_kind(work), ctx, "/body")
    query = request.path.partition("?")[2]
    if query:  # no converter reads a query string, and no target route takes one
        ctx.lose("/path", "?" + query, "no-home", f"{to} requests carry no query string")
    ctx.finish()
    coalesce = COALESCERS.get(to)
    if coalesce is not None and (not route.batch or to == "track-v1"):
        out = coalesce(out, ctx.limits.single(to))
    if not route.batch:
        out = keep_fitting(out, ctx, "/body", request.body)
    return out


def _within_limits(request: Request, ctx: Context) -> list[Request]:
    """A request converted to its own API: itself, or, over the limits, what of it the API takes.

    A batch over its limit is re-packed into as many batches as it needs (in
    order, batch-level keys copied into each); an item too large on its own,
    or a single request over the limit, is reported as a ``too-large`` loss.
    """
    route = request.route
    if not route.batch:
        return keep_fitting([request], ctx, "/body", request.body)
    body = request.body
    if not body["batch"]:
        return [request]
    extra = {k: v for k, v in body.items() if k != "batch"}
    split = split_items(list(enumerate(body["batch"])), route.api, ctx, extra)
    if len(split.batches) == 1 and not split.rejected:
        return [request]
    if not split.batches:  # every item too large: the batch-level keys have nothing left to travel with
        for key, value in extra.items():
            ctx.lose(
                "/body" + pointer_from_parts([key]),
                value,
                "too-large",
                "every item of this batch is too large to send, so nothing carries its batch-level values",
            )
    return [Request(request.method, request.path, batch) for batch in split.batches]  # the query string kept


def convert(
    request: Request,
    to: Target | str,
    *,
    strict: bool = False,
    options: ConvertOptions | None = None,
    **option_values: Any,
) -> Conversion:
    """Convert ``request`` into the equivalent request(s) of the ``to`` API.

    ``to`` is ``"pipelines"``, ``"track-v1"`` or ``"track-v2"``. Options are
    those of :class:`~cio_schemas.conversion.ConvertOptions`, given as an
    ``options=`` value or as keywords (``identifier_kind="email"``).

    It raises :class:`~cio_schemas.errors.InvalidPayloadError` when the input is
    invalid (nothing is converted), :class:`~cio_schemas.errors.UnsupportedConversionError`
    when the request has no counterpart in the target, and, with ``strict=True``,
    :class:`~cio_schemas.errors.LossyConversionError` instead of returning losses.
    Arguments it cannot use (anything but a :class:`~cio_schemas.request.Request`,
    an unknown option, an invalid option value) raise
    :class:`~cio_schemas.errors.InvalidArgumentError`.

    The input is never modified. The output requests are new, but values
    carried over unchanged are shared with the input, not copied: deep-copy an
    output before editing it in place.
    """
    if not isinstance(request, Request):
        raise InvalidArgumentError.not_a_request("convert", request)
    _check_target("convert", to, strict)
    options = ConvertOptions.resolve(options, **option_values)
    plain = is_plain(request.body)  # one pass, shared by validation and the tuple check below
    check(request, plain)
    ctx = Context(source=request, target=to, options=options)
    # To its own API, nothing is converted: the request is only kept within that API's limits.
    out = _within_limits(request, ctx) if request.route.api == to else _convert(request, plain, ctx)
    result = ctx.result(out)
    if strict and result.losses:
        raise LossyConversionError(result.losses, route=f"{request.method} {request.path}")
    return result


def convert_many(
    requests: Iterable[Request],
    to: Target | str,
    *,
    strict: bool = False,
    options: ConvertOptions | None = None,
    **option_values: Any,
) -> list[Conversion]:
    """Convert a sequence, merging adjacent outputs that belong together.

    Converting ``[identify, group, group]`` to Track v1 gives one ``PUT`` with
    both relationships, which is what makes Track → Pipelines → Track round
    trips exact. One :class:`Conversion` is returned per input, in order, each
    with its own losses, changes and notes. Each output request is carried by
    the conversion of the last input it holds anything of: a request that was
    not merged stays with its own input, and a merged one moves to the input
    that completed it (the last relationship of an identify). To send the
    result, send ``[r for c in conversions for r in c.requests]``: that is the
    outputs in order.
    """
    if isinstance(requests, (Request, str, bytes, bytearray, Mapping)) or not isinstance(requests, Iterable):
        hint = "; for one request use convert()" if isinstance(requests, Request) else ""
        raise InvalidArgumentError(
            f"convert_many() takes an iterable of Requests, not {InvalidArgumentError.describe(requests)}{hint}",
            "requests",
            requests,
        )
    requests = list(requests)
    for index, request in enumerate(requests):
        if not isinstance(request, Request):
            raise InvalidArgumentError.not_a_request("convert_many", request, f"requests[{index}]")
    _check_target("convert_many", to, strict)  # as an invalid option, a wrong target fails even for no requests
    resolved = ConvertOptions.resolve(options, **option_values)  # an invalid option fails even for no requests
    results = [convert(r, to, strict=strict, options=resolved) for r in requests]
    coalesce = COALESCERS.get(str(to))
    if coalesce is None:
        return results
    limit = get_limits(resolved.limits, kb=resolved.kb).single(str(to))  # merged requests stay under it
    # Each output tagged with the index of the input whose conversion carries it.
    outputs = [(index, request) for index, res in enumerate(results) for request in res.requests]
    carried: list[list[Request]] = [[] for _ in results]
    for owner, request in merge_adjacent(outputs, coalesce, limit, later_tag=True):
        carried[owner].append(request)
    return [
        Conversion(r.source, r.target, tuple(mine), r.losses, r.changes, r.notes)
        for r, mine in zip(results, carried, strict=True)
    ]


def _load() -> None:
    from . import _pipelines_to_v1, _pipelines_to_v2, _v1_to_pipelines, _v1_v2, _v2_to_pipelines  # noqa: F401


_load()
