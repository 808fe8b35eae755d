"""Re-packing converted batch items into the target API's batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..catalog import route_by_operation
from ..conversion import Context, Node
from ..registry import json_byte_length
from ..request import Request
from ..sizes import BatchSplit, split_batch
from ._common import read_back_as

__all__ = ["pack", "keep_fitting", "split_items", "merge_adjacent"]


def keep_fitting(requests: list[Request], ctx: Context, pointer: str, value: Any) -> list[Request]:
    """``requests`` without the single (non-batch) ones over the target's per-request limit.

    Each one left out is reported as a ``too-large`` loss of ``value`` (the input
    at ``pointer`` it came from): the API would refuse it, so it is not passed
    off as a result. Batches are packed under their limits by :func:`pack`.
    """
    kept: list[Request] = []
    for r in requests:
        if r.body is not None and not r.route.batch:
            limit = ctx.limits.single(r.route.api)
            size = json_byte_length(r.body)
            if size > limit:
                ctx.lose(
                    pointer,
                    value,
                    "too-large",
                    f"converted to {r.method} {r.route.template} it is {size} bytes; "
                    f"the {ctx.target} limit is {limit} bytes per request",
                )
                continue
        kept.append(r)
    return kept


def merge_adjacent(
    tagged: Iterable[tuple[int, Request]],
    coalesce: Callable[[list[Request], int | None], list[Request]],
    limit: int,
    *,
    later_tag: bool,
) -> list[tuple[int, Request]]:
    """``tagged`` requests in order, each that joins the one before it (as ``coalesce`` merges two, within
    ``limit`` bytes) merged into it. Only a request carrying relationships can join another. A merged
    request keeps the tag of the later request (``later_tag``) or of the earlier one."""
    out: list[tuple[int, Request]] = []
    for tag, request in tagged:
        if out and isinstance(request.body, Mapping) and "cio_relationships" in request.body:
            merged = coalesce([out[-1][1], request], limit)
            if len(merged) == 1:
                out[-1] = (tag if later_tag else out[-1][0], merged[0])
                continue
        out.append((tag, request))
    return out


def split_items(
    items: list[tuple[int, Any]], api: str, ctx: Context, extra: dict[str, Any] | None = None
) -> BatchSplit:
    """:func:`~cio_schemas.sizes.split_batch` of ``items`` (each with the index of the source batch item it
    comes from) under the conversion's limits; an item too large for any batch is reported as a
    ``too-large`` loss of its source item."""
    split = split_batch([body for _, body in items], api, ctx.limits, extra=extra)
    for rejected in split.rejected:
        source_index = items[rejected.index][0]
        what = "one item" if rejected.scope == "item" else "a batch, even alone with the batch-level keys"
        message = f"as a {api} batch item it is {rejected.size} bytes, over the {rejected.limit}-byte limit for {what}"
        ctx.lose(f"/body/batch/{source_index}", ctx.source.body["batch"][source_index], "too-large", message)
    return split


def _flush(items: list[tuple[int, Any]], api: str, ctx: Context, out: list[Request]) -> None:
    if not items:
        return
    split = split_items(items, api, ctx)
    route = route_by_operation(api, "batch")
    out.extend(Request._for_route(route, batch) for batch in split.batches)
    items.clear()


def _pipelines_item(request: Request) -> dict[str, Any] | None:
    """A single Pipelines call as a batch item (its ``type`` set), or None if it cannot be one."""
    body = dict(request.body)
    call = request.route.operation
    if call == "group" and "userId" not in body and "anonymousId" not in body:
        return None  # batch group items need a person; send it on its own
    body["type"] = call
    return body


def pack(request: Request, envelope: Node, converted: list[tuple[int, list[Request]]], ctx: Context) -> list[Request]:
    """Turn per-item conversions into the target's requests, in order.

    To Track v1 (no batch endpoint): every converted request as it is. To Track
    v2 and Pipelines: items re-chunked into batches under the target's limits,
    an item too large on its own reported as a ``too-large`` loss.
    """
    out: list[Request] = []
    batch = ctx.source.body["batch"]
    if ctx.target == "track-v1":
        for index, reqs in converted:
            out.extend(keep_fitting(reqs, ctx, f"/body/batch/{index}", batch[index]))
        if out:  # Track v1 has no batch: its requests convert back one by one
            read_back_as(ctx, envelope, f"{request.method} {request.route.template}", "one request per item")
        return out
    pending: list[tuple[int, Any]] = []
    if ctx.target == "track-v2":
        from . import COALESCERS

        # Operations that one operation was split into merge back, as convert_many merges separate calls
        # (an identify and the /group calls of its relationships); a merged item keeps its first source.
        entity = route_by_operation("track-v2", "entity")
        ops = [
            (index, op)
            for index, reqs in converted
            for r in reqs
            for op in ([Request._for_route(entity, item) for item in r.body["batch"]] if r.route.batch else [r])
        ]
        merged = merge_adjacent(ops, COALESCERS["track-v2"], ctx.limits.item("track-v2"), later_tag=False)
        pending.extend((index, op.body) for index, op in merged)
        _flush(pending, "track-v2", ctx, out)
        return out
    for index, reqs in converted:
        for r in reqs:
            item = _pipelines_item(r)
            if item is None:
                _flush(pending, "pipelines", ctx, out)
                out.extend(keep_fitting([r], ctx, f"/body/batch/{index}", batch[index]))
            else:
                pending.append((index, item))
    _flush(pending, "pipelines", ctx, out)
    return out
