"""Sizes: measuring bodies, the limits at N-1 / N / N+1 bytes, and splitting batches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cio_schemas.errors import CioSchemasError, InvalidArgumentError, InvalidRequestError, PayloadTooLargeError
from cio_schemas.request import Request
from cio_schemas.sizes import (
    DEFAULT_LIMITS,
    LIMIT_PROFILES,
    BatchSplit,
    Limits,
    byte_size,
    check_size,
    get_limits,
    size_report,
    split_batch,
)

# -- independent measuring -------------------------------------------------------------------
_TWO_BYTE_ESCAPES = set('"\\\n\r\t\b\f')


def char_cost(ch: str) -> int:
    """Bytes one character takes inside a compact UTF-8 JSON string, counted by hand."""
    if ch in _TWO_BYTE_ESCAPES:
        return 2  # \" \\ \n \r \t \b \f
    if ord(ch) < 0x20:
        return 6  # \u00XX
    return len(ch.encode("utf-8"))


def text_of_cost(n: int, filler: str) -> str:
    """A string whose JSON content costs exactly ``n`` bytes: fillers, then ASCII padding."""
    k = n // char_cost(filler)
    return filler * k + "a" * (n - k * char_cost(filler))


def cost(text: str) -> int:
    return sum(char_cost(ch) for ch in text)


FILLERS = ["a", "é", "😀", '"', "\n", "\x01"]

# The figures each profile must give, written out by hand.
EXPECTED: dict[tuple[str, int], dict[str, int]] = {
    ("default", 1000): {
        "track_single": 32_000,
        "track_batch": 500_000,
        "track_item": 32_000,
        "pipelines_single": 64_000,
        "pipelines_batch": 1_000_000,
        "pipelines_item": 64_000,
    },
    ("default", 1024): {
        "track_single": 32_768,
        "track_batch": 512_000,
        "track_item": 32_768,
        "pipelines_single": 65_536,
        "pipelines_batch": 1_048_576,
        "pipelines_item": 65_536,
    },
    ("pipelines-openapi", 1000): {
        "track_single": 32_000,
        "track_batch": 500_000,
        "track_item": 32_000,
        "pipelines_single": 32_000,
        "pipelines_batch": 500_000,
        "pipelines_item": 32_000,
    },
    ("pipelines-openapi", 1024): {
        "track_single": 32_768,
        "track_batch": 512_000,
        "track_item": 32_768,
        "pipelines_single": 32_768,
        "pipelines_batch": 512_000,
        "pipelines_item": 32_768,
    },
}
PROFILES = sorted(EXPECTED)


@pytest.mark.parametrize(("name", "kb"), PROFILES)
def test_profiles_figures(name: str, kb: int) -> None:
    limits = get_limits(name, kb=kb)
    for field, value in EXPECTED[(name, kb)].items():
        assert getattr(limits, field) == value
    assert limits.kb == kb
    assert limits == LIMIT_PROFILES[name](kb=kb)
    assert limits.single("track-v1") == limits.single("track-v2") == limits.track_single
    assert limits.batch("pipelines") == limits.pipelines_batch
    assert limits.item("track-v2") == limits.track_item


def test_default_profile_and_constructors() -> None:
    assert Limits.default() == DEFAULT_LIMITS == get_limits("default")
    assert Limits.default(kb=1024) == get_limits("default", kb=1024)
    assert Limits.pipelines_openapi() == get_limits("pipelines-openapi")
    assert set(LIMIT_PROFILES) == {"default", "pipelines-openapi"}


@pytest.mark.parametrize(
    "make",
    [
        lambda: get_limits("strict"),
        lambda: get_limits("default", kb=1023),
        lambda: Limits.default(kb=True),
        lambda: Limits(0, 1, 1, 1, 1, 1),
        lambda: Limits(1, 1, 1, 1, 1, -(10**5000)),
        lambda: Limits(1, 1, 1, 1, 1, 1.5),  # type: ignore[arg-type]
        lambda: Limits(1, 1, 1, 1, 1, 1, kb=1),
        lambda: DEFAULT_LIMITS.single("track"),
    ],
)
def test_limits_errors(make: Any) -> None:
    with pytest.raises(InvalidRequestError):
        make()


# -- byte_size ---------------------------------------------------------------------------------
def test_byte_size_basics() -> None:
    assert byte_size({"a": "é"}) == 10
    assert byte_size({"a": [1, 2.5, True, None]}) == len('{"a":[1,2.5,true,null]}')
    assert byte_size({"k": ("x",)}) == len('{"k":["x"]}')
    assert byte_size("é") == 4  # a JSON string value: quotes included
    assert byte_size(b'{"a": 1}') == 8
    assert byte_size(bytearray(b"xyz")) == 3
    assert byte_size(memoryview(b"abcd")) == 4
    assert byte_size({"s": "\x7f\u2028"}) == len('{"s":""}') + 1 + 3  # not escaped
    assert byte_size({"é": 1}) == len('{"":1}') + 2


@pytest.mark.parametrize("filler", FILLERS)
def test_byte_size_counts_escapes_and_multibyte(filler: str) -> None:
    s = filler * 7 + "x"
    assert byte_size({"s": s}) == len('{"s":""}') + 7 * char_cost(filler) + 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"a": float("nan")}, "/a"),
        ({"a": [1, float("inf")]}, "/a/1"),
        ({"a": {"b": "\ud800"}}, "/a/b"),
        ({"\udfff": 1}, "/\udfff"),
        ({"a": object()}, "/a"),
        ({"a": {1, 2}}, "/a"),
        ({"a": 10**5000}, "/a"),
        ({("t",): 1}, ""),
        (b"x".decode() + "\ud83d", ""),
    ],
)
def test_byte_size_rejects_non_json(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        byte_size(body)
    assert info.value.pointer == pointer
    assert isinstance(info.value, CioSchemasError)


def test_byte_size_rejects_circular_and_deep() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(InvalidRequestError, match="circular"):
        byte_size(loop)
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidRequestError):
        byte_size(deep)


# -- N-1 / N / N+1 for every limit ---------------------------------------------------------------
def _single(api: str, n: int, filler: str) -> Request:
    """A single request of exactly ``n`` bytes."""
    if api == "track":
        return Request("PUT", "/api/v1/customers/42", {"email": text_of_cost(n - len('{"email":""}'), filler)})
    return Request("POST", "/v1/identify", {"userId": text_of_cost(n - len('{"userId":""}'), filler)})


def _batch(api: str, n: int, item_max: int, filler: str) -> Request:
    """A batch request of exactly ``n`` bytes whose items ``{"s": ...}`` are each under ``item_max``."""
    path = "/api/v2/batch" if api == "track" else "/v1/batch"
    total = n - len('{"batch":[]}')  # m items and m-1 commas must fill this
    per = item_max - 8
    m = -(-(total + 1) // (per + 1))
    sizes = [per] * m
    excess = per * m + (m - 1) - total
    i = m - 1
    while excess:
        cut = min(excess, sizes[i] - 100)
        sizes[i] -= cut
        excess -= cut
        i -= 1
    items = [{"s": text_of_cost(size - len('{"s":""}'), filler)} for size in sizes]
    return Request("POST", path, {"batch": items})


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize("api", ["track", "pipelines"])
@pytest.mark.parametrize(("name", "kb"), PROFILES)
def test_single_limit_edges(name: str, kb: int, api: str, filler: str) -> None:
    limits = get_limits(name, kb=kb)
    limit = EXPECTED[(name, kb)][f"{api}_single"]
    for n in (limit - 1, limit, limit + 1):
        request = _single(api, n, filler)
        assert byte_size(request.body) == n
        report = size_report(request, limits)
        assert (report.size, report.limit, report.scope, report.ok) == (n, limit, "single", n <= limit)
        if n <= limit:
            check_size(request, limits)
        else:
            with pytest.raises(PayloadTooLargeError) as info:
                check_size(request, limits)
            assert (info.value.size, info.value.limit, info.value.scope) == (n, limit, "single")
            assert info.value.items == ()
            assert info.value.route == request.route.name


@pytest.mark.parametrize("filler", ["a", "é", "😀", '"', "\x01"])
@pytest.mark.parametrize("api", ["track", "pipelines"])
@pytest.mark.parametrize(("name", "kb"), PROFILES)
def test_batch_limit_edges(name: str, kb: int, api: str, filler: str) -> None:
    limits = get_limits(name, kb=kb)
    limit = EXPECTED[(name, kb)][f"{api}_batch"]
    item_limit = EXPECTED[(name, kb)][f"{api}_item"]
    for n in (limit - 1, limit, limit + 1):
        request = _batch(api, n, item_limit, filler)
        assert byte_size(request.body) == n
        report = size_report(request, limits)
        assert (report.size, report.limit, report.scope, report.ok) == (n, limit, "batch", n <= limit)
        assert report.items_over == () and report.item_limit == item_limit
        if n <= limit:
            check_size(request, limits)
        else:
            with pytest.raises(PayloadTooLargeError) as info:
                check_size(request, limits)
            assert (info.value.size, info.value.limit, info.value.scope) == (n, limit, "batch")


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize("api", ["track", "pipelines"])
@pytest.mark.parametrize(("name", "kb"), PROFILES)
def test_item_limit_edges(name: str, kb: int, api: str, filler: str) -> None:
    limits = get_limits(name, kb=kb)
    item_limit = EXPECTED[(name, kb)][f"{api}_item"]
    path = "/api/v2/batch" if api == "track" else "/v1/batch"
    for n in (item_limit - 1, item_limit, item_limit + 1):
        item = {"s": text_of_cost(n - len('{"s":""}'), filler)}
        assert byte_size(item) == n
        request = Request("POST", path, {"batch": [{"s": "x"}, {"s": "y"}, item, {"s": "z"}]})
        report = size_report(request, limits)
        assert report.item_sizes == (9, 9, n, 9)
        assert report.items_over == ((2,) if n > item_limit else ())
        assert report.ok is (n <= item_limit)
        if n <= item_limit:
            check_size(request, limits)
        else:
            with pytest.raises(PayloadTooLargeError) as info:
                check_size(request, limits)
            assert (info.value.size, info.value.limit, info.value.scope) == (n, item_limit, "item")
            assert info.value.items == (2,)


def test_items_are_reported_before_the_whole_batch() -> None:
    limits = Limits(100, 50, 20, 100, 50, 20)
    request = Request("POST", "/v1/batch", {"batch": [{"s": "x" * 30}, {"s": "y"}, {"s": "z" * 25}]})
    with pytest.raises(PayloadTooLargeError) as info:
        check_size(request, limits)
    assert info.value.scope == "item" and info.value.items == (0, 2) and info.value.size == 38


def test_raw_bytes_and_bodyless_requests() -> None:
    request = Request("PUT", "/api/v1/customers/42", {"email": "a@example.com"})
    check_size(request, raw=b" " * 32_000)
    with pytest.raises(PayloadTooLargeError):
        check_size(request, raw=b" " * 32_001)
    assert size_report(Request("DELETE", "/api/v1/customers/42")).size == 0
    batch = Request("POST", "/v1/batch", {"batch": [{"s": "x"}]})
    report = size_report(batch, raw=b"x" * 1_000_001)
    assert report.size == 1_000_001 and not report.ok and report.item_sizes == (9,)


def test_batch_route_with_a_body_that_is_not_a_batch() -> None:
    report = size_report(Request("POST", "/v1/batch", {"context": {}}))
    assert report.size == len('{"context":{}}') and report.item_sizes == () and report.ok
    report = size_report(Request("POST", "/v1/batch", {"batch": [], 1: "x"}))
    assert report.size == len('{"batch":[],"1":"x"}')


def test_item_errors_point_into_the_batch() -> None:
    with pytest.raises(InvalidRequestError) as info:
        size_report(Request("POST", "/api/v2/batch", {"batch": [{}, {"a": [float("nan")]}]}))
    assert info.value.pointer == "/batch/1/a/0"


# -- derived size == serialised size ---------------------------------------------------------------
# Text drawn from characters whose size is interesting: ASCII, 2- 3- and 4-byte UTF-8, escapes.
_ALPHABET = 'ab é€😀"\\\n\t\x01\x1f\x7f\u2028'
json_text = st.text(_ALPHABET, max_size=8)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=10,
)
batch_bodies = st.builds(
    lambda items, others, first: {"batch": items, **others} if first else {**others, "batch": items},
    st.lists(json_values, max_size=6),
    st.dictionaries(json_text.filter(lambda k: k != "batch"), json_values, max_size=3),
    st.booleans(),
)


@given(batch_bodies, st.sampled_from(["/v1/batch", "/api/v2/batch"]))
def test_derived_batch_size_equals_serialised_size(body: dict[str, Any], path: str) -> None:
    report = size_report(Request("POST", path, body))
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    assert report.size == byte_size(body) == len(text.encode("utf-8"))
    assert report.item_sizes == tuple(byte_size(item) for item in body["batch"])


# -- splitting -------------------------------------------------------------------------------
def _limits(batch: int, item: int) -> Limits:
    return Limits(batch, batch, item, batch, batch, item)


items_lists = st.lists(st.dictionaries(st.sampled_from("abc"), st.text(max_size=40), max_size=3), max_size=40)


def _check_split(split: BatchSplit, items: list[Any], batch_limit: int, item_limit: int, extra: dict[str, Any]) -> None:
    envelope = byte_size({"batch": [], **extra})
    placed = [i for idx in split.indexes for i in idx]
    # order kept, nothing lost or duplicated
    assert placed == sorted(placed)
    assert sorted(placed + [r.index for r in split.rejected]) == list(range(len(items)))
    assert len(split.batches) == len(split.indexes) == len(split.sizes)
    for batch, idx, size in zip(split.batches, split.indexes, split.sizes, strict=True):
        assert batch["batch"] == [items[i] for i in idx]
        assert all(a is items[i] for a, i in zip(batch["batch"], idx, strict=True))
        assert {k: v for k, v in batch.items() if k != "batch"} == extra
        assert byte_size(batch) == size <= batch_limit
        assert idx  # no empty batch
        assert all(byte_size(items[i]) <= item_limit for i in idx)
    for r in split.rejected:
        assert r.item is items[r.index]
        assert r.size == byte_size(r.item)
        assert r.size > item_limit or envelope + r.size > batch_limit
        assert r.reason
    # tight: the next item would not have fitted
    for k in range(len(split.batches) - 1):
        first_next = items[split.indexes[k + 1][0]]
        assert split.sizes[k] + 1 + byte_size(first_next) > batch_limit


@given(items_lists, st.integers(10, 400), st.integers(5, 120), st.sampled_from(["track-v2", "pipelines"]))
def test_split_properties(items: list[Any], batch_limit: int, item_limit: int, api: str) -> None:
    before = json.dumps(items)
    split = split_batch(items, api, _limits(batch_limit, item_limit))
    assert json.dumps(items) == before
    _check_split(split, items, batch_limit, item_limit, {})


@given(items_lists, st.integers(40, 400), st.integers(5, 120), json_values)
def test_split_properties_with_extra(items: list[Any], batch_limit: int, item_limit: int, context: Any) -> None:
    extra = {"context": context, "integrations": {"All": True}}
    split = split_batch(items, "pipelines", _limits(batch_limit, item_limit), extra=extra)
    _check_split(split, items, batch_limit, item_limit, extra)


def test_split_examples() -> None:
    items = [{"s": "x" * n} for n in (10, 10, 50, 10, 91, 10, 100)]  # sizes 18, 18, 58, 18, 99, 18, 108
    split = split_batch(items, "track-v2", _limits(100, 100))
    # envelope {"batch":[]} = 12: [18,18,58]=12+94+2=108 > 100, so 0,1 | 2,3 | (4 alone = 111 > 100) | 5 | 6 over item
    assert split.indexes == ((0, 1), (2, 3), (5,))
    assert split.sizes == (12 + 36 + 1, 12 + 76 + 1, 12 + 18)
    assert [(r.index, r.size, r.limit, r.scope) for r in split.rejected] == [
        (4, 99, 100, "batch"),
        (6, 108, 100, "item"),
    ]
    assert "one batch item" in split.rejected[1].reason and "even alone" in split.rejected[0].reason
    assert split_batch([], "pipelines") == BatchSplit((), (), (), ())


def test_split_default_limits_real_size() -> None:
    items = [{"type": "track", "userId": str(i), "event": "e", "properties": {"s": "é" * 5000}} for i in range(300)]
    split = split_batch(items, "pipelines", extra={"context": {"ip": "1.2.3.4"}})
    assert not split.rejected
    assert all(byte_size(b) <= 1_000_000 for b in split.batches)
    assert sum(len(b["batch"]) for b in split.batches) == 300
    for batch in split.batches:
        check_size(Request("POST", "/v1/batch", batch))


@pytest.mark.parametrize(
    ("api", "extra", "match"),
    [("track-v1", None, "no batch endpoint"), ("pipeline", None, "pipelines"), ("pipelines", {"batch": []}, "batch")],
)
def test_split_errors(api: str, extra: Any, match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        split_batch([{}], api, extra=extra)


def test_split_non_json_item() -> None:
    with pytest.raises(InvalidRequestError) as info:
        split_batch([{}, {"a": float("nan")}], "pipelines")
    assert info.value.pointer == "/1/a"


def test_get_limits_takes_a_limits_value_as_it_is() -> None:
    custom = Limits(1, 2, 3, 4, 5, 6, kb=1024)
    assert get_limits(custom) is custom
    assert get_limits(custom, kb=1000) is custom  # its figures already carry their kilobyte
    with pytest.raises(InvalidRequestError):
        get_limits(custom, kb=1023)


@pytest.mark.parametrize("name", [None, [], 32_000, b"default"])
def test_get_limits_refuses_what_is_neither_a_name_nor_limits(name: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="profile name") as info:
        get_limits(name)
    assert isinstance(info.value, TypeError) and isinstance(info.value, InvalidRequestError)


@pytest.mark.parametrize("limits", ["default", None, {"track_single": 1}])
def test_size_functions_refuse_limits_that_are_not_limits(limits: Any) -> None:
    request = Request("POST", "/v1/identify", {"userId": "42"})
    for call in (
        lambda: check_size(request, limits),
        lambda: size_report(request, limits),
        lambda: split_batch([{}], "pipelines", limits),
    ):
        with pytest.raises(InvalidArgumentError, match="Limits value"):
            call()


@pytest.mark.parametrize("kb", [1000.0, 1024.0, True, "1000"])
def test_kb_must_be_the_int_1000_or_1024(kb: object) -> None:
    with pytest.raises(InvalidRequestError, match="1000 or 1024"):
        get_limits("default", kb=kb)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="1000 or 1024"):
        Limits.default(kb=kb)  # type: ignore[arg-type]
