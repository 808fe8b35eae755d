"""Timestamps: reading every accepted form, rejecting the rest, normalising request bodies."""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cio_schemas.errors import CioSchemasError, InvalidRequestError, InvalidTimestampError
from cio_schemas.timestamps import (
    TimestampChange,
    convert_iso_attributes,
    is_iso_timestamp,
    normalize_request_timestamps,
    to_iso,
    to_unix,
)


# Reference instants, written by hand (not computed by the code under test):
# 2013-02-18T16:35:08Z = 1361205308 (Customer.io's own example), 2023-01-01T00:00:00Z = 1672531200,
# 2024-01-01T00:00:00Z = 1704067200, 9999-12-31T23:59:59Z = 253402300799,
# 0001-01-01T00:00:00Z = -62135596800.
def _id(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "huge-int"
    return text if len(text) <= 40 else text[:37] + "..."


MIN_S = -62135596800
MAX_S = 253402300799

# (input, keyword arguments, expected to_unix, expected to_iso)
READ_CASES: list[tuple[Any, dict[str, Any], int, str]] = [
    # numbers
    (0, {}, 0, "1970-01-01T00:00:00.000Z"),
    (1361205308, {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    (1361205308.722, {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    (1.5, {}, 1, "1970-01-01T00:00:01.500Z"),
    (1.9999, {}, 1, "1970-01-01T00:00:01.999Z"),
    (-0.5, {}, -1, "1969-12-31T23:59:59.500Z"),
    (-1, {}, -1, "1969-12-31T23:59:59.000Z"),
    (MAX_S, {}, MAX_S, "9999-12-31T23:59:59.000Z"),
    (MIN_S, {}, MIN_S, "0001-01-01T00:00:00.000Z"),
    (1361205308722, {"unit": "ms"}, 1361205308, "2013-02-18T16:35:08.722Z"),
    (-1, {"unit": "ms"}, -1, "1969-12-31T23:59:59.999Z"),
    (1500.9, {"unit": "ms"}, 1, "1970-01-01T00:00:01.500Z"),
    (253402300799999, {"unit": "ms"}, MAX_S, "9999-12-31T23:59:59.999Z"),
    # RFC 3339 and relatives
    ("2013-02-18T16:35:08.722Z", {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("1970-01-01T00:00:00Z", {}, 0, "1970-01-01T00:00:00.000Z"),
    ("1970-01-01", {}, 0, "1970-01-01T00:00:00.000Z"),
    ("2024-02-29T00:00:00Z", {}, 1704067200 + 59 * 86400, "2024-02-29T00:00:00.000Z"),
    ("2024-02-29", {}, 1704067200 + 59 * 86400, "2024-02-29T00:00:00.000Z"),
    ("9999-12-31T23:59:59Z", {}, MAX_S, "9999-12-31T23:59:59.000Z"),
    ("9999-12-31T23:59:59.999999Z", {}, MAX_S, "9999-12-31T23:59:59.999Z"),
    ("0001-01-01T00:00:00Z", {}, MIN_S, "0001-01-01T00:00:00.000Z"),
    ("0001-01-01T00:00:00-01:00", {}, MIN_S + 3600, "0001-01-01T01:00:00.000Z"),
    # a negative offset that crosses midnight (and the year end)
    ("2023-01-01T23:30:00-05:00", {}, 1672531200 + 86400 + 4 * 3600 + 1800, "2023-01-02T04:30:00.000Z"),
    ("2023-01-01T00:30:00+01:00", {}, 1672531200 - 1800, "2022-12-31T23:30:00.000Z"),
    ("2013-02-18T16:35:08.9999999Z", {}, 1361205308, "2013-02-18T16:35:08.999Z"),
    ("2013-02-18T16:35:08.7229999Z", {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("2013-02-18T16:35:08.123456789Z", {}, 1361205308, "2013-02-18T16:35:08.123Z"),
    ("2013-02-18T16:35:08.1Z", {}, 1361205308, "2013-02-18T16:35:08.100Z"),
    ("2023-01-01T12:00:00+0530", {}, 1672531200 + 6 * 3600 + 1800, "2023-01-01T06:30:00.000Z"),
    ("2023-01-01T12:00:00+05:30", {}, 1672531200 + 6 * 3600 + 1800, "2023-01-01T06:30:00.000Z"),
    ("2013-02-18T17:35:08+01", {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    ("2023-01-01t12:00:00z", {}, 1672531200 + 12 * 3600, "2023-01-01T12:00:00.000Z"),
    ("2023-01-01T12:00:00z", {}, 1672531200 + 12 * 3600, "2023-01-01T12:00:00.000Z"),
    ("2013-02-18 16:35:08Z", {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    ("2013-02-18 16:35:08", {}, 1361205308, "2013-02-18T16:35:08.000Z"),  # naive = UTC
    ("2013-02-18T16:35", {}, 1361205308 - 8, "2013-02-18T16:35:00.000Z"),
    ("1969-12-31T23:59:59.999Z", {}, -1, "1969-12-31T23:59:59.999Z"),
    ("1969-12-31T23:59:59.9999Z", {}, -1, "1969-12-31T23:59:59.999Z"),
    # rarer ISO 8601 forms (fallback parser)
    ("20130218T163508Z", {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    ("2013-W08-1", {}, 1361205308 - (16 * 3600 + 35 * 60 + 8), "2013-02-18T00:00:00.000Z"),
    ("2013-02-18T16:35:08,5Z", {}, 1361205308, "2013-02-18T16:35:08.500Z"),
    ("2022-12-31T24:00:00Z", {}, 1672531200, "2023-01-01T00:00:00.000Z"),
    ("20130218 163508Z", {}, 1361205308, "2013-02-18T16:35:08.000Z"),  # one space as the separator
    ("2013-W08-1 16:35:08", {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    # the common forms (read by datetime.fromisoformat) give what the general reader gives
    ("2013-02-18T16:35:08.722+00:00", {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("2013-02-18T16:35:08.722999+00:00", {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("2013-02-18T16:35:08.722999Z", {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("2013-02-18T16:35:08+00:00", {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    ("0001-01-01T00:00:00.000Z", {}, MIN_S, "0001-01-01T00:00:00.000Z"),
    ("9999-12-31T23:59:59.999+00:00", {}, MAX_S, "9999-12-31T23:59:59.999Z"),
    # numeric strings, when allowed
    ("1361205308", {"numeric_strings": True}, 1361205308, "2013-02-18T16:35:08.000Z"),
    ("1361205308.722", {"numeric_strings": True}, 1361205308, "2013-02-18T16:35:08.722Z"),
    ("-0.5", {"numeric_strings": True}, -1, "1969-12-31T23:59:59.500Z"),
    ("1361205308722", {"numeric_strings": True, "unit": "ms"}, 1361205308, "2013-02-18T16:35:08.722Z"),
    # datetime and date
    (dt.datetime(2013, 2, 18, 16, 35, 8, 722999, tzinfo=dt.timezone.utc), {}, 1361205308, "2013-02-18T16:35:08.722Z"),
    (dt.datetime(2013, 2, 18, 16, 35, 8), {}, 1361205308, "2013-02-18T16:35:08.000Z"),
    (
        dt.datetime(2013, 2, 18, 11, 35, 8, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        {},
        1361205308,
        "2013-02-18T16:35:08.000Z",
    ),
    (dt.date(2024, 2, 29), {}, 1704067200 + 59 * 86400, "2024-02-29T00:00:00.000Z"),
    (dt.date(1, 1, 1), {}, MIN_S, "0001-01-01T00:00:00.000Z"),
]


@pytest.mark.parametrize(("value", "kwargs", "unix", "iso"), READ_CASES, ids=_id)
def test_reads(value: Any, kwargs: dict[str, Any], unix: int, iso: str) -> None:
    assert to_unix(value, **kwargs) == unix
    assert type(to_unix(value, **kwargs)) is int
    assert to_iso(value, **kwargs) == iso


REJECT_CASES: list[tuple[Any, dict[str, Any], str]] = [
    (True, {}, "boolean"),
    (False, {}, "boolean"),
    (math.nan, {}, "NaN"),
    (math.inf, {}, "infinity"),
    (-math.inf, {}, "infinity"),
    ("2023-02-30", {}, "not a real date"),
    ("2023-02-29T00:00:00Z", {}, "not a real date"),
    ("2023-13-01", {}, "not a real date"),
    ("2023-01-01T25:00:00Z", {}, "not a real date"),
    ("2016-12-31T23:59:60Z", {}, "leap second"),
    ("2023-01-01T12:00:00+24:00", {}, "offset"),
    ("garbage", {}, "ISO 8601"),
    ("", {}, "ISO 8601"),
    (" 2023-01-01", {}, "ISO 8601"),
    ("2023-01-01T12:00:00 Z", {}, "ISO 8601"),
    ("1361205308", {}, "numeric_strings=True"),
    ("1361205308.5", {}, "numeric_strings=True"),
    ("2023", {}, "numeric_strings=True"),
    ("10000-01-01T00:00:00Z", {}, "ISO 8601"),
    # digits with whitespace around them: never a date (dateutil would read " 1361205308" as the year 136)
    (" 1361205308", {}, "send the number itself, without quotes or whitespace"),
    ("\t1361205308", {}, "send the number itself, without quotes or whitespace"),
    ("1361205308 ", {}, "send the number itself, without quotes or whitespace"),
    ("1361205308\n", {}, "whitespace"),
    (" -1.5", {}, "whitespace"),
    (" 136120", {}, "whitespace"),
    (" 1361205308", {"numeric_strings": True}, "strip the whitespace"),
    ("1361205308 ", {"numeric_strings": True, "unit": "ms"}, "strip the whitespace"),
    # what int() tolerates inside a field is not ISO 8601
    ("2013-02-18 ", {}, "strip the whitespace"),
    ("2013-02-18T16:35:08Z\n", {}, "strip the whitespace"),
    (" 013-02-18", {}, "strip the whitespace"),
    ("2013- 2-18", {}, "ISO 8601"),
    ("2013-02-18T16: 5", {}, "ISO 8601"),
    ("2013-W 8-1", {}, "ISO 8601"),
    ("2013-02-18T16:35:08+ 1:00", {}, "ISO 8601"),
    ("20130218  163508Z", {}, "ISO 8601"),
    ("+013-02-18", {}, "ISO 8601"),
    ("2013-+2-18", {}, "ISO 8601"),
    ("1_13-02-18", {}, "ISO 8601"),
    ("2_13", {}, "ISO 8601"),
    ("2013 02", {}, "ISO 8601"),  # not the ordinal date 2013-002
    ("2013-02-18T16:35:08+05:3", {}, "ISO 8601"),  # not +05:03
    ("2013-02-18T16:35:08+00000", {}, "ISO 8601"),
    ("2013-02-18216:35:08", {}, "ISO 8601"),  # a digit is not a separator
    ("2013-02-18T16:35:0", {}, "ISO 8601"),
    # the common forms must not let through what the general reader refuses
    ("2016-12-31T23:59:60.000Z", {}, "leap second"),
    ("2023-02-29T00:00:00+00:00", {}, "not a real date"),
    ("0000-01-01T00:00:00.000Z", {}, "not a real date"),
    ("9999-12-31T23:59:59-01:00", {}, "range"),
    ("0001-01-01T00:00:00+01:00", {}, "range"),
    (253402300800, {}, "range"),  # 10000-01-01T00:00:00Z
    (MIN_S - 1, {}, "range"),
    (253402300800000, {"unit": "ms"}, "range"),
    (1361205308722, {}, "it looks like Unix milliseconds, where Unix seconds are expected"),  # ms read as s
    (1e300, {}, "range"),
    (-1e300, {"unit": "ms"}, "range"),
    (10**30, {}, "range"),
    (10**5000, {}, "range"),  # too long even to print
    ("9" * 5000, {"numeric_strings": True}, "range"),
    (None, {}, "null"),
    ([], {}, "list"),
    ([1361205308], {}, "list"),
    ({}, {}, "dict"),
    (Decimal("1361205308"), {}, "Decimal"),
    (dt.time(12, 0), {}, "time"),
]


@pytest.mark.parametrize(("value", "kwargs", "needle"), REJECT_CASES, ids=_id)
def test_rejects(value: Any, kwargs: dict[str, Any], needle: str) -> None:
    for fn in (to_unix, to_iso):
        with pytest.raises(InvalidTimestampError) as info:
            fn(value, **kwargs)
        assert info.value.value is value
        assert needle in info.value.reason
        assert isinstance(info.value, CioSchemasError)
        assert isinstance(info.value, ValueError)


def test_fraction_digits_beyond_nine_are_read() -> None:
    assert to_iso("2013-02-18T16:35:08.1239999999999Z") == "2013-02-18T16:35:08.123Z"


# -- properties ------------------------------------------------------------------------------
seconds = st.integers(MIN_S, MAX_S)
millis = st.integers(MIN_S * 1000, MAX_S * 1000 + 999)


@given(seconds)
def test_unix_iso_round_trip(n: int) -> None:
    assert to_unix(to_iso(n)) == n


@given(millis)
def test_iso_unix_round_trip_for_canonical_strings(ms: int) -> None:
    s = to_iso(ms, unit="ms")
    assert to_iso(s) == s
    assert to_iso(to_unix(s)) == s[:-5] + ".000Z"
    assert to_unix(s) == ms // 1000
    assert to_unix(ms, unit="ms") == ms // 1000


@given(seconds.map(lambda n: n * 1000 + 0))
def test_canonical_whole_seconds_round_trip(ms: int) -> None:
    s = to_iso(ms, unit="ms")
    assert to_iso(to_unix(s)) == s


@given(
    st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
def test_aware_datetimes_in_any_offset_are_the_same_instant(naive: dt.datetime, minutes: int) -> None:
    utc = naive.replace(tzinfo=dt.timezone.utc)
    shifted = utc.astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
    assert to_unix(shifted) == to_unix(utc) == to_unix(naive)
    assert to_iso(shifted) == to_iso(utc)
    # and as strings in that offset, with and without the colon
    text = shifted.isoformat()
    assert to_iso(text) == to_iso(utc)
    assert to_iso(text[:-3] + text[-2:]) == to_iso(utc)


@given(millis)
def test_ms_unit_matches_seconds(ms: int) -> None:
    if ms % 1000 == 0:
        assert to_iso(ms, unit="ms") == to_iso(ms // 1000)
    assert to_unix(ms, unit="ms") == to_unix(to_iso(ms, unit="ms"))
    assert to_unix(ms, unit="ms") == ms // 1000


@given(st.floats(min_value=MIN_S, max_value=MAX_S, allow_nan=False))
def test_floats_floor_and_agree(x: float) -> None:
    assert to_unix(x) == math.floor(x) or to_unix(x) == math.floor(x * 1000) // 1000
    assert to_unix(to_iso(x)) == to_unix(x)


# -- the attribute matcher -------------------------------------------------------------------
@pytest.mark.parametrize(
    "s",
    [
        "2023-12-25",
        "2023-12-25T10:30",
        "2023-12-25T10:30Z",
        "2023-12-25T10:30:15",
        "2023-12-25T10:30:15.1",
        "2023-12-25T10:30:15.123456789",
        "2023-12-25T10:30:15.123Z",
        "2023-12-25T10:30:15+05:30",
        "2023-12-25T10:30:15-0800",
        "2024-02-29",
    ],
)
def test_is_iso_timestamp_true(s: str) -> None:
    assert is_iso_timestamp(s)


@pytest.mark.parametrize(
    "s",
    [
        "2023-02-30",
        "2023-12-25Z",
        "2023-12-25T10",
        "2023-12-25T10:30:15.1234567891",
        "2023-12-25t10:30:15z",
        "2023-12-25 10:30:15",
        "2023-12-25T10:30:15+05",
        "2023-12-25T25:00",
        "1361205308",
        "hello",
        "",
        " 2023-12-25",
        "0000-01-01",
        "2023-12-25T10:30:15+24:00",
    ],
)
def test_is_iso_timestamp_false(s: str) -> None:
    assert not is_iso_timestamp(s)


# -- request bodies ---------------------------------------------------------------------------
def _check(body: Any, api: str, expected_body: Any, expected_changes: list[tuple[str, Any, Any]]) -> None:
    before = copy.deepcopy(body)
    new, changes = normalize_request_timestamps(body, api)
    assert body == before  # not mutated
    assert new == expected_body
    assert [(c.pointer, c.before, c.after) for c in changes] == expected_changes
    assert all(isinstance(c, TimestampChange) for c in changes)


def test_normalize_track_v1_identify() -> None:
    body = {"email": "a@example.com", "created_at": "2013-02-18T16:35:08.722Z", "_timestamp": 1361205308.5}
    _check(
        body,
        "track-v1",
        {"email": "a@example.com", "created_at": 1361205308, "_timestamp": 1361205308},
        [
            ("/_timestamp", 1361205308.5, 1361205308),
            ("/created_at", "2013-02-18T16:35:08.722Z", 1361205308),
        ],
    )


def test_normalize_track_v1_device_and_event() -> None:
    _check(
        {"device": {"id": "tok", "last_used": "2013-02-18T17:35:08+01:00"}},
        "track-v1",
        {"device": {"id": "tok", "last_used": 1361205308}},
        [("/device/last_used", "2013-02-18T17:35:08+01:00", 1361205308)],
    )
    _check(
        {"name": "purchase", "timestamp": 1361205308, "data": {"at": "2013-02-18"}},
        "track-v1",
        {"name": "purchase", "timestamp": 1361205308, "data": {"at": "2013-02-18"}},
        [],
    )


def test_normalize_track_v2_batch() -> None:
    body: dict[str, Any] = {
        "batch": [
            {"type": "person", "action": "event", "identifiers": {"id": "1"}, "name": "x", "timestamp": "1970-01-01Z"},
            {"type": "person", "action": "identify", "identifiers": {"id": "1"}, "attributes": {"created_at": 1.5}},
            {
                "type": "person",
                "action": "add_device",
                "identifiers": {"id": "1"},
                "device": {"token": "t", "platform": "ios", "last_used": dt.datetime(1970, 1, 1, 0, 0, 2)},
            },
            "not an object",
        ]
    }
    # "1970-01-01Z" is no timestamp: the error names the item's pointer
    with pytest.raises(InvalidTimestampError) as info:
        normalize_request_timestamps(body, "track-v2")
    assert info.value.pointer == "/batch/0/timestamp"
    body["batch"][0]["timestamp"] = "1970-01-01T00:00:01Z"
    expected = copy.deepcopy(body)
    expected["batch"][0]["timestamp"] = 1
    expected["batch"][1]["attributes"]["created_at"] = 1
    expected["batch"][2]["device"]["last_used"] = 2
    _check(
        body,
        "track-v2",
        expected,
        [
            ("/batch/0/timestamp", "1970-01-01T00:00:01Z", 1),
            ("/batch/1/attributes/created_at", 1.5, 1),
            ("/batch/2/device/last_used", dt.datetime(1970, 1, 1, 0, 0, 2), 2),
        ],
    )


def test_normalize_track_v2_entity() -> None:
    _check(
        {"type": "person", "action": "page", "identifiers": {"id": "1"}, "name": "/", "timestamp": "1970-01-01"},
        "track-v2",
        {"type": "person", "action": "page", "identifiers": {"id": "1"}, "name": "/", "timestamp": 0},
        [("/timestamp", "1970-01-01", 0)],
    )


def test_normalize_pipelines_call_and_batch() -> None:
    _check(
        {"userId": "1", "traits": {"createdAt": 1361205308, "plan": "pro"}, "timestamp": None, "sentAt": 0},
        "pipelines",
        {
            "userId": "1",
            "traits": {"createdAt": "2013-02-18T16:35:08.000Z", "plan": "pro"},
            "timestamp": None,
            "sentAt": "1970-01-01T00:00:00.000Z",
        },
        [
            ("/sentAt", 0, "1970-01-01T00:00:00.000Z"),
            ("/traits/createdAt", 1361205308, "2013-02-18T16:35:08.000Z"),
        ],
    )
    body: dict[str, Any] = {
        "batch": [
            {"type": "track", "userId": "1", "event": "e", "originalTimestamp": "2013-02-18T17:35:08.5+01:00"},
            {"type": "identify", "userId": "1", "receivedAt": "2013-02-18T16:35:08.000Z"},
        ],
        "sentAt": "2013-02-18t16:35:08z",
    }
    expected = copy.deepcopy(body)
    expected["sentAt"] = "2013-02-18T16:35:08.000Z"
    expected["batch"][0]["originalTimestamp"] = "2013-02-18T16:35:08.500Z"
    _check(
        body,
        "pipelines",
        expected,
        [
            ("/sentAt", "2013-02-18t16:35:08z", "2013-02-18T16:35:08.000Z"),
            ("/batch/0/originalTimestamp", "2013-02-18T17:35:08.5+01:00", "2013-02-18T16:35:08.500Z"),
        ],
    )


def test_normalize_shares_unchanged_parts_and_returns_new_body() -> None:
    traits = {"plan": "pro"}
    body = {"userId": "1", "traits": traits, "timestamp": 0}
    new, _ = normalize_request_timestamps(body, "pipelines")
    assert new is not body
    assert new["traits"] is traits
    new2, changes = normalize_request_timestamps({"userId": "1"}, "pipelines")
    assert new2 == {"userId": "1"} and changes == []


def test_normalize_numeric_strings_and_non_objects() -> None:
    new, changes = normalize_request_timestamps({"timestamp": "1361205308"}, "track-v1", numeric_strings=True)
    assert new == {"timestamp": 1361205308}
    assert changes == [TimestampChange("/timestamp", "1361205308", 1361205308)]
    with pytest.raises(InvalidTimestampError) as info:
        normalize_request_timestamps({"timestamp": "1361205308"}, "track-v1")
    assert info.value.pointer == "/timestamp"
    assert normalize_request_timestamps(None, "track-v1") == (None, [])
    assert normalize_request_timestamps([1], "pipelines") == ([1], [])
    with pytest.raises(InvalidRequestError):
        normalize_request_timestamps({}, "track")


def test_convert_iso_attributes() -> None:
    attrs = {
        "signed_up": "2023-12-25",
        "trial_ends": "2023-12-25T10:30:15.999+01:00",
        "ms_epoch": 1703500215999,
        "note": "see 2023-12-25",
        "lower": "2023-12-25t10:30:15z",
        "bad_day": "2023-02-30",
        "tags": ["2023-12-25", {"at": "2023-12-25"}],
        "nested": {"when": "2023-12-25T10:30", "deeper": {"a/b~c": "2023-12-25T00:00:01Z"}, "n": 1},
        "flag": True,
        "none": None,
    }
    before = copy.deepcopy(attrs)
    new, changes = convert_iso_attributes(attrs, base_pointer="/traits")
    assert attrs == before
    # 2023-12-25T00:00:00Z = 1703462400, written by hand
    day = 1703462400
    assert new == {
        **before,
        "signed_up": day,
        "trial_ends": day + 9 * 3600 + 30 * 60 + 15,
        "nested": {"when": day + 10 * 3600 + 30 * 60, "deeper": {"a/b~c": day + 1}, "n": 1},
    }
    assert [(c.pointer, c.before, c.after) for c in changes] == [
        ("/traits/signed_up", "2023-12-25", day),
        ("/traits/trial_ends", "2023-12-25T10:30:15.999+01:00", day + 9 * 3600 + 30 * 60 + 15),
        ("/traits/nested/when", "2023-12-25T10:30", day + 10 * 3600 + 30 * 60),
        ("/traits/nested/deeper/a~1b~0c", "2023-12-25T00:00:01Z", day + 1),
    ]
    assert new["tags"] is attrs["tags"]  # arrays are not entered
    assert new is not attrs


def test_convert_iso_attributes_nothing_to_do() -> None:
    attrs = {"a": 1, "b": {"c": "x"}}
    new, changes = convert_iso_attributes(attrs)
    assert new == attrs and new is not attrs and changes == []
    assert new["b"] is attrs["b"]
    assert convert_iso_attributes(["2023-12-25"]) == (["2023-12-25"], [])
    assert convert_iso_attributes("2023-12-25") == ("2023-12-25", [])


def test_change_str() -> None:
    assert str(TimestampChange("/timestamp", "1970-01-01", 0)) == '/timestamp: "1970-01-01" -> 0'


def test_normalize_refuses_digits_with_whitespace_at_their_pointer() -> None:
    for api, pointer in (("track-v1", "/timestamp"), ("pipelines", "/timestamp")):
        with pytest.raises(InvalidTimestampError) as info:
            normalize_request_timestamps({"timestamp": " 1361205308"}, api, numeric_strings=True)
        assert info.value.pointer == pointer and "whitespace" in info.value.reason


@pytest.mark.parametrize(
    "kwargs", [{"unit": "us"}, {"unit": ["s"]}, {"unit": None}, {"numeric_strings": "no"}, {"numeric_strings": 1}]
)
def test_unusable_options_are_argument_errors(kwargs: dict[str, Any]) -> None:
    from cio_schemas.errors import InvalidArgumentError

    for fn in (to_unix, to_iso):
        with pytest.raises(InvalidArgumentError) as info:
            fn("5", **kwargs)
        [(name, value)] = kwargs.items()
        assert info.value.argument == name and info.value.value == value


def test_only_a_plausible_millisecond_epoch_gets_the_milliseconds_hint() -> None:
    """A second before year 1 is out of range, and no millisecond epoch either: no hint."""
    with pytest.raises(InvalidTimestampError) as info:
        to_iso(MIN_S - 1)
    assert "milliseconds" not in str(info.value)
