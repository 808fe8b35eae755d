"""Strict JSON reading: each kind of bad JSON gets its own clear error."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cio_schemas.errors import InvalidJSONError
from cio_schemas.jsonio import iter_documents, loads


@pytest.mark.parametrize(
    "data, fragment, line",
    [
        (b'{"a": NaN}', "NaN is not valid JSON", 1),
        (b'{"a": Infinity}', "Infinity is not valid JSON", 1),
        (b'{"a": -Infinity}', "-Infinity is not valid JSON", 1),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'", 1),
        (b'{"a": "\\ud800"}', "lone UTF-16 surrogate", 1),
        (b'\xef\xbb\xbf{"a": 1}', "byte-order mark", 1),
        (b'{"a": "\xff"}', "invalid UTF-8 byte 0xff", 1),
        (b"", "empty input", 1),
        (b"   \n ", "empty input", 1),
        (b'{"a": [1, 2', "truncated JSON", 1),
        (b"1e999", "too large for a finite float", 1),
        (b'{"a": [1.5, -2.5e400]}', "too large for a finite float", 1),
        (b'{\n"a": 1,\n"b": }', "Expecting value", 3),
        (b"[" * 100_000, "nested too deeply", 1),
    ],
)
def test_bad_json(data: bytes, fragment: str, line: int) -> None:
    with pytest.raises(InvalidJSONError) as info:
        loads(data)
    assert fragment in str(info.value)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_good_json_and_valid_surrogate_pairs() -> None:
    assert loads(b'{"a": "\\ud83d\\ude00", "b": [1.5, null, true]}') == {"a": "😀", "b": [1.5, None, True]}
    assert loads('{"a": 1}', line=7) == {"a": 1}


def test_line_offsets() -> None:
    with pytest.raises(InvalidJSONError) as info:
        loads(b"{oops}", line=42)
    assert info.value.line == 42


def docs(data: bytes) -> list[tuple[int, int | None, object, str | None]]:
    return [(d.line, d.index, d.value, d.error and d.error.reason) for d in iter_documents(io.BytesIO(data))]


def test_jsonl_with_bad_lines() -> None:
    got = docs(b'{"a": 1}\n\n{"b": \n{"c": 3}\n[{"d": 4}, {"e": 5}]\n')
    assert [(line, index, value) for line, index, value, _ in got] == [
        (1, None, {"a": 1}),
        (3, None, None),
        (4, None, {"c": 3}),
        (5, 0, {"d": 4}),
        (5, 1, {"e": 5}),
    ]
    assert got[1][3] is not None and "truncated" in got[1][3]


def test_corrupt_first_line_of_jsonl_does_not_hide_the_rest() -> None:
    got = docs(b'{"a": \n{"b": 2}\n')
    assert [(line, value) for line, _, value, _ in got] == [(1, None), (2, {"b": 2})]


def test_multiline_document_and_array() -> None:
    assert docs(b'{\n  "a": 1\n}\n') == [(1, None, {"a": 1}, None)]
    assert [(i, v) for _, i, v, _ in docs(b'[\n {"a": 1},\n {"b": 2}\n]')] == [(0, {"a": 1}), (1, {"b": 2})]
    (only,) = docs(b'{\n  "a": \n}')
    assert only[2] is None and only[3] is not None


def test_empty_stream() -> None:
    (only,) = docs(b"")
    assert only[3] is not None and "empty" in only[3]


@pytest.mark.parametrize(
    "value, path, fragment",
    [
        ({"a": 1, "b": [1.5, None, True, "é"]}, None, None),
        ({1: "a"}, (), "object key 1 is not a string"),
        ({"\ud800": 1}, (), "lone UTF-16 surrogate"),
        ({"a": ["\udfff"]}, ("a", 0), "lone UTF-16 surrogate"),
        ({"a": float("nan")}, ("a",), "not a JSON number"),
        ({"a": [float("-inf")]}, ("a", 0), "not a JSON number"),
        ({"a": {1, 2}}, ("a",), "a set is not a JSON value"),
        ({"a": b"x"}, ("a",), "a bytes is not a JSON value"),
        ((1, [2]), None, None),
    ],
)
def test_json_problems(value: object, path: tuple | None, fragment: str | None) -> None:
    from cio_schemas.jsonio import json_problems

    found = list(json_problems(value))
    if path is None:
        assert found == []
    else:
        assert [(p, fragment in m) for p, m, _ in found] == [(path, True)]


def test_json_problems_depth_and_deep_input_is_safe() -> None:
    from cio_schemas.jsonio import MAX_DEPTH, json_problems

    deep: object = "leaf"
    for _ in range(10_000):
        deep = {"a": [deep]}
    (problem,) = list(json_problems(deep))
    assert len(problem[0]) == MAX_DEPTH and "nested deeper" in problem[1]
    ok: object = 1
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    assert list(json_problems(ok)) == []


@pytest.mark.parametrize(
    "data, line, column",
    [
        ('{"a": 1\n', 1, 8),  # not at the line after: the newline ends this line
        ('{"a": 1', 1, 8),
        ('{"a": 1\r\n', 1, 8),
        ('{"a": [1,\n  2,\n\n  ', 2, 5),
        ("[\n", 1, 2),
    ],
)
def test_truncated_json_is_reported_where_the_text_ends(data: str, line: int, column: int) -> None:
    for text in (data, data.encode()):
        with pytest.raises(InvalidJSONError, match="truncated JSON") as info:
            loads(text)
        assert (info.value.line, info.value.column) == (line, column)
        with pytest.raises(InvalidJSONError) as info:
            loads(text, line=10)
        assert (info.value.line, info.value.column) == (line + 9, column)


def test_truncated_jsonl_lines_are_reported_at_their_own_line() -> None:
    data = b'{"a": 1}\n{"a": 1\n{"c": 3}\n{"d": \n'
    errors = [(d.line, d.error.line, d.error.column) for d in iter_documents(io.BytesIO(data)) if d.error]
    assert errors == [(2, 2, 8), (4, 4, 6)]
    (only,) = iter_documents(io.BytesIO(b'{"a": 1\n'))
    assert only.error is not None and (only.line, only.error.line, only.error.column) == (1, 1, 8)


@pytest.mark.parametrize(
    "data, line, column",
    [
        ("1e999", 1, 1),
        ("-1E+999", 1, 1),
        ('{"s": "1e999 NaN \\" 1e999", "n":\n  [0.5, 1' + "0" * 400 + ".0]}", 2, 9),
        ('{"a": 1e-999, "b": 12345678901234567890,\n "c": 1e309}', 2, 7),
        ('{"a":\n   NaN}', 2, 4),
        ("[1,\n -Infinity]", 2, 2),
    ],
)
def test_numbers_beyond_a_float_and_constants_are_refused_with_line_and_column(
    data: str, line: int, column: int
) -> None:
    with pytest.raises(InvalidJSONError) as info:
        loads(data, line=3)
    assert (info.value.line, info.value.column) == (line + 2, column)
    assert "too large for a finite float" in info.value.reason or "not valid JSON" in info.value.reason


def test_small_and_long_numbers_still_read() -> None:
    assert loads("[1e-999, 1.7976931348623157e308, -2.5E+10]") == [0.0, 1.7976931348623157e308, -2.5e10]
    assert loads("1" + "0" * 400) == 10**400


def test_a_refused_number_after_a_long_string_is_located() -> None:
    """The scan that finds the refused number skips strings in constant memory (an escaped quote included)."""
    text = '["' + "a" * 2_000_000 + '\\"", {"b":\n 1e999}]'
    with pytest.raises(InvalidJSONError) as info:
        loads(text)
    assert (info.value.line, info.value.column) == (2, 2)


def test_finite_floats_with_large_exponents_still_read() -> None:
    assert loads("[1e100, 1E+300, 1.5e-400]") == [1e100, 1e300, 0.0]


def test_a_pretty_printed_document_with_an_error_is_one_error() -> None:
    """A multi-line document with a syntax error is reported once, not line by line."""
    docs = list(iter_documents(io.BytesIO(b'{\n  "a": 1,\n  "b": [1, 2\n}\n')))
    assert len(docs) == 1 and docs[0].error is not None


def test_json_lines_with_broken_first_lines_are_read_line_by_line() -> None:
    docs = list(iter_documents(io.BytesIO(b'{"a":\n[1,\n{"b": 2}\n\n[{"c": 3}]\n')))
    assert [(d.line, d.index, d.value, d.error is not None) for d in docs] == [
        (1, None, None, True),
        (2, None, None, True),
        (3, None, {"b": 2}, False),
        (5, 0, {"c": 3}, False),
    ]


@pytest.mark.parametrize("text", ["1" + "0" * 250 + "e60", "[" + "9" * 299 + ".0e10]", "[1" + "0" * 400 + ".5]"])
def test_overflow_without_a_large_exponent_is_refused(text: str) -> None:
    with pytest.raises(InvalidJSONError, match="too large for a finite float"):
        loads(text)


def test_a_pretty_printed_array_with_an_error_is_one_error() -> None:
    """A document that opens with a line holding only "[" is not read as JSON Lines, even if lines parse."""
    text = b'[\n  {"userId": "u1"},\n  {"userId": "u2"}\n  {"userId": "u3"}\n]\n'
    docs = list(iter_documents(io.BytesIO(text)))
    assert [(d.line, d.error is not None) for d in docs] == [(4, True)]


def test_a_list_of_lines_is_read_once() -> None:
    docs = list(iter_documents([b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3}\n']))  # type: ignore[arg-type]
    assert [(d.line, d.value) for d in docs] == [(1, {"a": 1}), (2, {"b": 2}), (3, {"c": 3})]
    broken = list(iter_documents([b'{"a":\n', b"[1,\n", b'{"b": 2}\n']))  # type: ignore[arg-type]
    assert [(d.line, d.value, d.error is not None) for d in broken] == [
        (1, None, True),
        (2, None, True),
        (3, {"b": 2}, False),
    ]


def test_each_element_of_a_pretty_printed_array_is_located_at_its_own_line() -> None:
    text = b'\n[\n  {"a": 1},\n\n  {"b":\n    2}, 3,\n  [4]\n]\n'
    docs = list(iter_documents(io.BytesIO(text)))
    assert [(d.line, d.index, d.value) for d in docs] == [(3, 0, {"a": 1}), (5, 1, {"b": 2}), (6, 2, 3), (7, 3, [4])]
    one_line = list(iter_documents(io.BytesIO(b'[{"a": 1}, {"b": 2}]\n')))
    assert [(d.line, d.index) for d in one_line] == [(1, 0), (1, 1)]


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), max_size=8))
def test_element_lines_of_generated_pretty_arrays(items: list[dict[str, Any]]) -> None:
    import json

    text = json.dumps(items, indent=2, ensure_ascii=False)
    docs = list(iter_documents(io.BytesIO(text.encode())))
    assert [d.value for d in docs] == items
    # with indent=2, each element (an object) opens on a line indented by exactly two spaces
    starts = [n for n, line in enumerate(text.split("\n"), 1) if line.startswith("  {")]
    assert [d.line for d in docs] == (starts if len(items) and "\n" in text else [1] * len(items))


def test_an_array_whose_first_line_holds_an_element_is_one_document() -> None:
    envelope = b'{"method": "PUT", "path": "/api/v1/customers/42", "body": {}}'
    docs = list(iter_documents(io.BytesIO(b"[" + envelope + b",\n" + envelope + b"\n]\n")))
    assert [(d.line, d.index, d.error) for d in docs] == [(1, 0, None), (2, 1, None)]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("[" * 400 + '"\\ud800"' + "]" * 400, 1, 402),
        ('{\n"a": 1,\n\n"b": "\\ud800"}', 4, 7),
        ('["\\ude00\\ud83d"]', 1, 3),
        ('"ok \ud800"', 1, 5),
        ('{\n "\udc00": 1}', 2, 3),
    ],
)
def test_a_lone_surrogate_is_an_error_at_its_place(text: str, line: int, column: int) -> None:
    with pytest.raises(InvalidJSONError) as info:
        loads(text)
    assert (info.value.line, info.value.column) == (line, column) and "surrogate" in str(info.value)


@pytest.mark.parametrize("text", ['"\\\\ud800"', '"\\ud83d\\ude00"', '"\\\\\\ud83d\\ude00"'])
def test_surrogate_pairs_and_escaped_backslashes_are_fine(text: str) -> None:
    assert isinstance(loads(text), str)


@pytest.mark.parametrize(
    ("text", "column"),
    [('["ok\\\\ud83d\\ude00"]', 12), ('["\\\\ud800\\udc00"]', 10), ('"\\ud83d \\ude00"', 2)],
)
def test_a_lone_escape_after_an_escaped_backslash_is_located(text: str, column: int) -> None:
    with pytest.raises(InvalidJSONError) as info:
        loads(text)
    assert (info.value.line, info.value.column) == (1, column)


def test_an_array_opening_on_its_first_line_with_a_bad_element_is_one_error() -> None:
    good = b'{"method": "PUT", "path": "/api/v1/customers/42", "body": {}}'
    text = b"[" + good + b",\n " + b'{"x": nope},\n ' + good + b"\n]\n"
    docs = list(iter_documents(io.BytesIO(text)))
    assert len(docs) == 1 and docs[0].error is not None and docs[0].line == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a":1} {"b":2}', ["Extra data", "one request per line, or an array"]),
        ("\x00", ["Expecting value: found a NUL byte"]),
        ("[1,]", ["Expecting value: found ']' (a trailing comma?)"]),
        ('{"a":1,}', ["(a trailing comma?)"]),
        ("{'a':1}", ["JSON keys take double quotes, not single"]),
        ('{"n":' + "9" * 5000 + "}", ["more than 4300 digits", "send it as a string"]),
        ('{\n  "n":\n  ' + "9" * 5000 + "\n}", ["line 3, column 3: an integer of more than 4300 digits"]),
        ('{"x": }', ["Expecting value: found '}'"]),
        ('{"a":1}\x00', ["Extra data: a NUL byte after the JSON value"]),
        ("[]]", ["Extra data: an unmatched ']' after the JSON value"]),
    ],
)
def test_syntax_errors_say_what_probably_went_wrong(text: str, words: list[str]) -> None:
    """The decoder's terse messages get the likely cause, never Python advice."""
    with pytest.raises(InvalidJSONError) as caught:
        loads(text)
    for word in words:
        assert word in str(caught.value)
    assert "sys." not in str(caught.value)
    assert "trailing comma" not in str(caught.value) or text in ("[1,]", '{"a":1,}')
