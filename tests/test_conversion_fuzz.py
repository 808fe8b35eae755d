"""Leaf accounting over generated requests of every route, to every target.

For any valid request the strategies generate (built from the shipped
schemas): converting it either raises ``UnsupportedConversionError`` with a
reason, or returns outputs that all validate, leaves the input untouched, and
accounts for every input leaf (in the output or in the loss report).
"""

from __future__ import annotations

import copy

import pytest
from accounting import unaccounted
from hypothesis import HealthCheck, given, settings

from cio_schemas import Request, iter_errors
from cio_schemas.catalog import ROUTES, V2_OPERATIONS
from cio_schemas.converters import TARGETS, convert, convert_many
from cio_schemas.errors import UnsupportedConversionError

strategies = pytest.importorskip("cio_schemas.strategies")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("route", [r for r in ROUTES if r.body], ids=lambda r: r.name)
def test_every_leaf_is_accounted_for(route: object, target: str) -> None:
    @settings(max_examples=max(10, settings.default.max_examples // 4), suppress_health_check=list(HealthCheck))
    @given(strategies.requests(route=route))
    def check(request: Request) -> None:
        before = copy.deepcopy(request.body)
        try:
            result = convert(request, target)
        except UnsupportedConversionError as exc:
            assert exc.reason
            return
        finally:
            assert request.body == before
        for out in result.requests:
            assert list(iter_errors(out)) == [], out.to_json()
        assert unaccounted(request, result) == []

    check()


def _same(request: Request) -> dict[str, object]:
    """The request's JSON form, an empty body on a body-less route read as no body (they mean the same)."""
    out = request.to_json()
    if not request.route.body and out.get("body") in ({}, None):
        out.pop("body", None)
    return out


#: Every single-request Track v1 route, and every Track v2 (type, action) operation. The legacy
#: push/events is left out: its Pipelines form (Report Delivery Event) reads back as POST
#: /api/v1/metrics, the endpoint Customer.io says replaces it.
ROUND_TRIPS = {
    **{
        r.name: ("track-v1", strategies.requests(route=r))
        for r in ROUTES
        if r.api == "track-v1" and r.operation != "push_metrics"
    },
    **{
        f"track-v2 {'/'.join(op)}": (
            "track-v2",
            strategies.bodies(name).map(lambda body: Request("POST", "/api/v2/entity", body)),
        )
        for op, name in V2_OPERATIONS.items()
    },
}


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=str)
def test_track_pipelines_track_is_exact_without_losses(case: str) -> None:
    """Track → Pipelines → the same Track API gives the request back whenever the first step lost and changed nothing."""
    api, requests = ROUND_TRIPS[case]

    @settings(max_examples=max(10, settings.default.max_examples // 3), suppress_health_check=list(HealthCheck))
    @given(requests)
    def check(request: Request) -> None:
        try:
            there = convert(request, "pipelines")
        except UnsupportedConversionError:
            return
        if there.losses or there.changes:
            return
        back = convert_many(there.requests, api)
        assert [loss for c in back for loss in c.losses] == []
        assert [_same(r) for c in back for r in c.requests] == [_same(request)]

    check()
