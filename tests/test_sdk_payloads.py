"""Requests sent by Customer.io's official Python clients validate, and convert to the other APIs.

Two PyPI packages (both in the ``test`` extra):

- ``customerio``: the Track API client ``customerio.track.CustomerIO`` (v1
  routes, plus ``batch`` on ``/api/v2/batch``). Its App API client
  (``customerio.api``) is out of scope: it does not call the Track or
  Pipelines APIs.
- ``customerio-cdp-analytics``: the Pipelines client ``customerio.analytics``
  (Segment-style ``Client`` and module-level functions); every call is posted
  to ``/v1/batch``, one message at a time with ``sync_mode=True``, or in groups
  by a background consumer thread otherwise.

Both wheels install a top-level ``customerio`` package and both ship
``customerio/__init__.py``: ``customerio``'s imports its Track and App API
names, ``customerio-cdp-analytics``'s is empty. Whichever was installed last
owns the file, so ``from customerio import CustomerIO`` works only when
``customerio`` was installed after the other (and uninstalling either removes
the shared file). Their submodules do not clash: ``customerio/track.py``,
``client_base.py``, … come from one wheel, ``customerio/analytics/`` from the
other. So the tests import only submodules (``customerio.track``,
``customerio.analytics.client``), which work in any install order.

HTTP is replaced by :mod:`sdk.recorder` (nothing reaches the network). Each
public method that sends data is one test id; it is called with realistic
arguments (ids, emails, ``cio_`` ids, unicode, timestamps as datetimes and
integers, nested traits, devices, relationships) and every request it sends
must validate. Then every captured request is converted to each other API:
the result must validate, or the conversion must be refused for a reason listed
in :data:`EXPECTED_UNSUPPORTED`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sdk.recorder import Captured, recording

from cio_schemas import Request, iter_errors
from cio_schemas.converters import convert
from cio_schemas.errors import UnsupportedConversionError

pytest.importorskip("customerio.track", reason="the customerio package is in the test extra")
pytest.importorskip("customerio.analytics.client", reason="the customerio-cdp-analytics package is in the test extra")

from customerio.analytics.client import Client
from customerio.regions import Regions
from customerio.track import CustomerIO

# On Python 3.12+ the Pipelines client's own calls to datetime.utcnow() warn; that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

SITE_ID = "site-id-0001"
API_KEY = "track-api-key-0001"
WRITE_KEY = "cdp-write-key-0001"

UTC = timezone.utc
WHEN = datetime(2024, 4, 26, 13, 42, 19, tzinfo=UTC)
WHEN_PARIS = datetime(2024, 4, 26, 15, 42, 19, 250000, tzinfo=timezone(timedelta(hours=2)))
WHEN_NAIVE = datetime(2024, 4, 26, 13, 42, 19)  # the clients read a naive datetime as UTC
UNIX = 1714138939
UNIX_DT = datetime.fromtimestamp(UNIX, UTC)

# -- Track API client (customerio.track.CustomerIO) ---------------------------------------


def _track_identify(cio: CustomerIO) -> None:
    cio.identify(
        "42",
        email="ada@example.com",
        first_name="Ada",
        city="Zürich",
        plan="pro",
        seats=5,
        lifetime_value=1234.5,
        vip=True,
        created_at=WHEN,
        last_login=UNIX,
    )
    # identify()'s first parameter is named `id`, so the client cannot send an `id` attribute.
    cio.identify("ada@example.com", unsubscribed=False, _update=True, _timestamp=WHEN_PARIS)
    cio.identify("cio_03000001", email="ada.lovelace@example.com", nickname="アダ")
    cio.identify("josé/ñ 42", anonymous_id="anon-7f3a9c")
    cio.identify(
        "42",
        cio_subscription_preferences={"topics": {"topic_1": True, "topic_2": False}},
        cio_relationships={
            "action": "add_relationships",
            "relationships": [
                {
                    "identifiers": {"object_type_id": "1", "object_id": "acme"},
                    "relationship_attributes": {"role": "admin"},
                },
                {"identifiers": {"object_type_id": "2", "object_id": "team-ß"}},
            ],
        },
    )
    cio.identify(
        "42",
        **{"cio_subscription_preferences.topics.topic_3": True},
        cio_relationships={
            "action": "delete_relationships",
            "relationships": [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}],
        },
    )


def _track_track(cio: CustomerIO) -> None:
    cio.track(
        "42",
        "purchase",
        data={"price": 23.45, "currency": "EUR", "items": [{"sku": "A-1", "qty": 2}], "paid_at": WHEN},
        id="01HWCZ8Q3T9KJ5V6N7P8R9S0TA",
        timestamp=WHEN,
    )
    cio.track("ada@example.com", "signed_up", timestamp=UNIX)
    cio.track(
        "cio_03000001", "commande passée ✓", data={"recipient": "ada@example.com", "reply_to": "help@example.com"}
    )
    cio.track("42", "app_opened", timestamp=WHEN_NAIVE)


def _track_track_anonymous(cio: CustomerIO) -> None:
    cio.track_anonymous("anon-7f3a9c", "viewed_pricing", data={"plan": "pro", "tags": ["a", "b"]}, timestamp=WHEN)
    cio.track_anonymous("anon-7f3a9c", "newsletter_signup", id="01HWCZ8Q3T9KJ5V6N7P8R9S0TB", timestamp=UNIX)


def _track_track_anonymous_invite(cio: CustomerIO) -> None:
    # An anonymous invite: no anonymous_id, the message goes to `recipient`.
    cio.track_anonymous("", "invite_friend", data={"recipient": "friend@example.com", "inviter": "Ada"})


def _track_pageview(cio: CustomerIO) -> None:
    cio.pageview("42", "https://www.example.com/pricing?plan=pro", referrer="https://www.google.com/", title="Prix")
    cio.pageview("ada@example.com", "/docs/getting-started")


def _track_backfill(cio: CustomerIO) -> None:
    cio.backfill("42", "purchase", WHEN, price=9.99, sku="B-2")
    cio.backfill("ada@example.com", "signed_up", UNIX)
    cio.backfill("cio_03000001", "renewed", str(UNIX), plan="pro")


def _track_delete(cio: CustomerIO) -> None:
    cio.delete("42")
    cio.delete("ada@example.com")
    cio.delete("cio_03000001")


def _track_add_device(cio: CustomerIO) -> None:
    cio.add_device(
        "42",
        "fcd6b1f5d4a6e5b8d7c9a4f1e2b3c6d8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4",
        "ios",
        last_used=WHEN,
        attributes={"device_os": "iOS 17.4", "app_version": "2.4.0", "push_enabled": "true", "device_locale": "de-CH"},
    )
    cio.add_device("ada@example.com", "fcm:APA91bH-token_ü", "android", last_used=UNIX)
    cio.add_device("cio_03000001", "fcm-token-abc", "android")


def _track_delete_device(cio: CustomerIO) -> None:
    cio.delete_device("42", "fcd6b1f5d4a6e5b8d7c9a4f1e2b3c6d8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4")
    cio.delete_device("ada@example.com", "fcm:APA91bH-token/ü")


def _track_suppress(cio: CustomerIO) -> None:
    cio.suppress("42")
    cio.suppress("ada@example.com")


def _track_unsuppress(cio: CustomerIO) -> None:
    cio.unsuppress("42")
    cio.unsuppress("cio_03000001")


def _track_merge_customers(cio: CustomerIO) -> None:
    cio.merge_customers("id", "42", "email", "ada.duplicate@example.com")
    cio.merge_customers("email", "ada@example.com", "cio_id", "03000002")
    cio.merge_customers("cio_id", "03000001", "id", "legacy-ü-7")


def _track_batch(cio: CustomerIO) -> None:
    # The client sends the operations as given, so these follow the Track v2 API reference.
    cio.batch(
        [
            {
                "type": "person",
                "action": "identify",
                "identifiers": {"id": "42"},
                "timestamp": UNIX,
                "attributes": {"email": "ada@example.com", "first_name": "Ada", "address": {"city": "Zürich"}},
                "cio_relationships": [
                    {
                        "identifiers": {"object_type_id": "1", "object_id": "acme"},
                        "relationship_attributes": {"role": "admin"},
                    }
                ],
            },
            {
                "type": "person",
                "action": "event",
                "identifiers": {"email": "ada@example.com"},
                "name": "purchase",
                "id": "01HWCZ8Q3T9KJ5V6N7P8R9S0TC",
                "timestamp": WHEN,
                "attributes": {"price": 23.45, "items": [{"sku": "A-1"}]},
            },
            {
                "type": "person",
                "action": "page",
                "identifiers": {"cio_id": "03000001"},
                "name": "https://www.example.com/pricing",
                "attributes": {"title": "Pricing"},
            },
            {
                "type": "person",
                "action": "add_device",
                "identifiers": {"id": "42"},
                "device": {
                    "token": "fcm-token-abc",
                    "platform": "android",
                    "last_used": UNIX,
                    "attributes": {"app_version": "2.4.0"},
                },
            },
            {
                "type": "object",
                "action": "identify",
                "identifiers": {"object_type_id": "1", "object_id": "acme"},
                "attributes": {"name": "ACME, Inc.", "employees": 329},
            },
            {
                "type": "person",
                "action": "delete_relationships",
                "identifiers": {"id": "42"},
                "cio_relationships": [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}],
            },
            {"type": "person", "action": "suppress", "identifiers": {"email": "spam@example.com"}},
        ]
    )


TRACK_METHODS: dict[str, Callable[[CustomerIO], None]] = {
    "CustomerIO.identify": _track_identify,
    "CustomerIO.track": _track_track,
    "CustomerIO.track_anonymous": _track_track_anonymous,
    "CustomerIO.track_anonymous[no anonymous_id]": _track_track_anonymous_invite,
    "CustomerIO.pageview": _track_pageview,
    "CustomerIO.backfill": _track_backfill,
    "CustomerIO.delete": _track_delete,
    "CustomerIO.add_device": _track_add_device,
    "CustomerIO.delete_device": _track_delete_device,
    "CustomerIO.suppress": _track_suppress,
    "CustomerIO.unsuppress": _track_unsuppress,
    "CustomerIO.merge_customers": _track_merge_customers,
    "CustomerIO.batch": _track_batch,
}

# -- Pipelines client (customerio.analytics) ----------------------------------------------

CONTEXT: dict[str, Any] = {
    "ip": "203.0.113.7",
    "locale": "de-CH",
    "timezone": "Europe/Zurich",
    "userAgent": "ExampleApp/2.4.0 (iPhone; iOS 17.4)",
    "app": {"name": "Example", "version": "2.4.0", "build": "412"},
}


def _cdp_identify(client: Client) -> None:
    client.identify(
        "42",
        traits={
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "city": "Zürich",
            "created_at": WHEN,
            "plan": {"name": "pro", "seats": 5, "features": ["sso", "audit"]},
            "cio_subscription_preferences": {"topics": {"topic_1": True}},
        },
        context=CONTEXT,
        timestamp=WHEN_PARIS,
        anonymous_id="anon-7f3a9c",
        integrations={"All": True, "Salesforce": False},
        message_id="msg-0001",
    )
    client.identify("ada@example.com", traits={"last_login": UNIX})
    client.identify("cio_03000001", traits={"email": "ada.lovelace@example.com", "nickname": "アダ"})
    client.identify(42)


def _cdp_identify_anonymous(client: Client) -> None:
    client.identify(anonymous_id="anon-7f3a9c", traits={"utm_source": "newsletter"}, timestamp=WHEN_NAIVE)


def _cdp_track(client: Client) -> None:
    client.track(
        "42",
        "Order Completed",
        properties={"order_id": "o-1", "total": 23.45, "products": [{"sku": "A-1", "qty": 2}], "paid_at": WHEN},
        context=CONTEXT,
        timestamp=WHEN,
        message_id="msg-0002",
    )
    client.track(anonymous_id="anon-7f3a9c", event="commande passée ✓", properties={"currency": "EUR"})
    client.track("cio_03000001", "app_opened", timestamp=WHEN_NAIVE)


def _cdp_track_semantic(client: Client) -> None:
    # Customer.io's semantic events, sent through track().
    client.track(
        "42",
        "Device Created or Updated",
        properties={"app_version": "2.4.0", "last_used": WHEN.isoformat()},
        context={"device": {"token": "fcm-token-abc", "type": "android"}, "os": {"name": "Android", "version": "14"}},
    )
    client.track("42", "Device Deleted", context={"device": {"token": "fcm-token-abc", "type": "android"}})
    client.track("42", "User Suppressed")
    client.track("ada@example.com", "User Unsuppressed")
    client.track("42", "Relationship Deleted", properties={"objectId": "acme", "objectTypeId": 1})
    client.track("42", "User Deleted")


def _cdp_track_object_deleted(client: Client) -> None:
    client.track(anonymous_id="anon-7f3a9c", event="Object Deleted", properties={"objectId": "acme", "objectTypeId": 1})


def _cdp_page(client: Client) -> None:
    client.page(
        "42",
        category="Docs",
        name="Getting started",
        properties={"url": "https://www.example.com/docs/start", "path": "/docs/start", "title": "Démarrer"},
        context=CONTEXT,
        timestamp=WHEN,
    )
    client.page(anonymous_id="anon-7f3a9c", properties={"url": "https://www.example.com/"})


def _cdp_screen(client: Client) -> None:
    client.screen(
        "42", category="Onboarding", name="Welcome", properties={"step": 1}, context=CONTEXT, timestamp=UNIX_DT
    )
    client.screen(anonymous_id="anon-7f3a9c", name="Paramètres")


def _cdp_group(client: Client) -> None:
    client.group(
        "42",
        "acme",
        traits={
            "object_type_id": "1",
            "name": "ACME, Inc.",
            "employees": 329,
            "address": {"city": "Zürich"},
            "relationship_traits": {"role": "admin"},
        },
        context=CONTEXT,
        timestamp=WHEN,
    )
    client.group("42", 1001, traits={"object_type_id": "2"})


def _cdp_group_anonymous(client: Client) -> None:
    client.group(anonymous_id="anon-7f3a9c", group_id="acme", traits={"relationship_traits": {"role": "trial"}})


def _cdp_alias(client: Client) -> None:
    client.alias("anon-7f3a9c", "42", timestamp=WHEN)
    client.alias("ada.duplicate@example.com", "cio_03000001")


PIPELINES_METHODS: dict[str, Callable[[Client], None]] = {
    "analytics.Client.identify": _cdp_identify,
    "analytics.Client.identify[anonymousId only]": _cdp_identify_anonymous,
    "analytics.Client.track": _cdp_track,
    "analytics.Client.track[semantic events]": _cdp_track_semantic,
    "analytics.Client.track[Object Deleted]": _cdp_track_object_deleted,
    "analytics.Client.page": _cdp_page,
    "analytics.Client.screen": _cdp_screen,
    "analytics.Client.group": _cdp_group,
    "analytics.Client.group[anonymousId only]": _cdp_group_anonymous,
    "analytics.Client.alias": _cdp_alias,
}


def _capture_track(call: Callable[[CustomerIO], None]) -> list[Captured]:
    with recording() as recorder:
        with CustomerIO(SITE_ID, API_KEY, region=Regions.US) as cio:
            call(cio)
        with CustomerIO(SITE_ID, API_KEY, region=Regions.EU, use_connection_pooling=False) as cio:
            call(cio)
    return recorder.captured


def _capture_pipelines(call: Callable[[Client], None]) -> list[Captured]:
    with recording() as recorder:
        call(Client(WRITE_KEY, sync_mode=True))
        call(Client(WRITE_KEY, host="https://cdp-eu.customer.io/", sync_mode=True, gzip=True))
    return recorder.captured


def _capture_consumer() -> list[Captured]:
    """The default (threaded) mode: calls are queued and a consumer thread posts them in batches on flush()."""
    with recording() as recorder:
        client = Client(WRITE_KEY, upload_size=5, upload_interval=0.05)
        try:
            for call in PIPELINES_METHODS.values():
                call(client)
            client.flush()
        finally:
            client.shutdown()
    return recorder.captured


def _capture_module_functions() -> list[Captured]:
    """The module-level functions (``analytics.track(...)``), which proxy to a default client."""
    from customerio import analytics

    saved = {name: getattr(analytics, name) for name in ("write_key", "sync_mode", "default_client")}
    with recording() as recorder:
        try:
            analytics.write_key, analytics.sync_mode, analytics.default_client = WRITE_KEY, True, None
            analytics.identify("42", {"email": "ada@example.com", "plan": {"name": "pro"}})
            analytics.track("42", "Order Completed", {"total": 23.45}, timestamp=WHEN)
            analytics.page("42", "Docs", "Getting started", {"url": "https://www.example.com/docs"})
            analytics.screen("42", None, "Welcome")
            analytics.group("42", "acme", {"object_type_id": "1"})
            analytics.alias("anon-7f3a9c", "42")
            analytics.flush()
        finally:
            for name, value in saved.items():
                setattr(analytics, name, value)
    return recorder.captured


CAPTURERS: dict[str, Callable[[], list[Captured]]] = {
    **{name: functools.partial(_capture_track, call) for name, call in TRACK_METHODS.items()},
    **{name: functools.partial(_capture_pipelines, call) for name, call in PIPELINES_METHODS.items()},
    "analytics.Client.flush[consumer thread]": _capture_consumer,
    "analytics[module-level functions]": _capture_module_functions,
}

#: The API each client's requests belong to.
EXPECTED_API = {name: "pipelines" if name.startswith("analytics") else "track-v1" for name in CAPTURERS}
EXPECTED_API["CustomerIO.batch"] = "track-v2"

TARGETS = ("pipelines", "track-v1", "track-v2")

#: (method, target) → why the conversion is refused, by ``convert`` raising
#: :class:`UnsupportedConversionError` or, for a batch, by reporting the item as an ``unsupported`` loss.
#: Any other refusal fails the test, and so does an entry here that is never refused.
EXPECTED_UNSUPPORTED: dict[tuple[str, str], str] = {
    ("CustomerIO.track_anonymous", "track-v2"): "Track v2 has no anonymous person event",
    ("CustomerIO.track_anonymous[no anonymous_id]", "track-v2"): "Track v2 has no anonymous person event",
    ("CustomerIO.track_anonymous[no anonymous_id]", "pipelines"): (
        "a Pipelines call needs a userId or an anonymousId, and an anonymous event without anonymous_id has neither"
    ),
    ("CustomerIO.batch", "track-v1"): (
        "the object identify item: Track v1 relates people to objects but cannot write an object's attributes"
    ),
    ("analytics.Client.identify[anonymousId only]", "track-v1"): (
        "Track v1 names the person in the path (id, email or cio_ id); an anonymousId-only identify has none"
    ),
    ("analytics.Client.identify[anonymousId only]", "track-v2"): (
        "Track v2 names a person by id, email or cio_id; an anonymousId-only identify has none"
    ),
    (
        "analytics.Client.track",
        "track-v2",
    ): "Track v2 has no anonymous person event (the calls made with only an anonymousId)",
    (
        "analytics.Client.page",
        "track-v2",
    ): "Track v2 has no anonymous person page view (the calls made with only an anonymousId)",
    (
        "analytics.Client.screen",
        "track-v2",
    ): "Track v2 has no anonymous person screen view (the calls made with only an anonymousId)",
    ("analytics.Client.flush[consumer thread]", "track-v2"): (
        "its batches hold anonymousId-only calls, which have no Track v2 form (see above)"
    ),
    ("analytics.Client.group[anonymousId only]", "track-v1"): (
        "Track v1 relates objects only to an identified person, through identify's cio_relationships"
    ),
    ("analytics.Client.track[Object Deleted]", "track-v1"): "Track v1 cannot delete objects",
    ("analytics.Client.flush[consumer thread]", "track-v1"): (
        "its batches hold the anonymousId-only identify and group and the Object Deleted event (see above)"
    ),
}

#: The reason ``convert`` gives for a shape nobody has written a converter for (never an expected refusal).
NO_CONVERTER = "no converter for this shape"


@functools.cache
def captured(name: str) -> tuple[Captured, ...]:
    return tuple(CAPTURERS[name]())


def _problems(request: Request) -> list[str]:
    return [str(p) for p in iter_errors(request)]


@pytest.mark.parametrize("method", list(CAPTURERS))
def test_sdk_request_validates(method: str) -> None:
    sent = captured(method)
    assert sent, f"{method} sent nothing"
    for c in sent:
        assert c.host in {"track.customer.io", "track-eu.customer.io", "cdp.customer.io", "cdp-eu.customer.io"}, c.url
        request = c.request
        assert request.api == EXPECTED_API[method], (request.method, request.path)
        assert list(iter_errors(request)) == [], (request.to_json(), _problems(request))


def _conversion_cases() -> list[tuple[str, str]]:
    return [(method, target) for method in CAPTURERS for target in TARGETS if target != EXPECTED_API[method]]


@pytest.mark.parametrize(("method", "target"), _conversion_cases())
def test_sdk_request_converts(method: str, target: str) -> None:
    expected_refusal = EXPECTED_UNSUPPORTED.get((method, target))
    refusals: list[str] = []
    for c in captured(method):
        request = c.request
        where = f"{request.method} {request.path} → {target}"
        try:
            result = convert(request, target)
        except UnsupportedConversionError as exc:
            assert expected_refusal is not None, f"{where} refused: {exc.reason}\n{request.to_json()}"
            refusals.append(exc.reason)
            continue
        unsupported = [loss for loss in result.losses if loss.reason == "unsupported"]
        assert expected_refusal is not None or not unsupported, (
            f"{where}: items refused: {[str(u) for u in unsupported]}"
        )
        refusals += [loss.message for loss in unsupported]
        assert result.requests or unsupported, f"{where} gave no request"
        for out in result.requests:
            assert out.api == target, (out.method, out.path)
            assert list(iter_errors(out)) == [], (request.to_json(), out.to_json(), _problems(out))
    if expected_refusal is not None:
        assert refusals, f"{method} → {target} is listed as unsupported ({expected_refusal}) but converted"
        assert NO_CONVERTER not in refusals, f"{method} → {target}: refused only for want of a converter"
