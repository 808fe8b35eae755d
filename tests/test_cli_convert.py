"""``cio-schemas convert`` and ``cio-schemas size``, and streams with corrupt lines."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from cio_schemas import Request, iter_errors
from cio_schemas.cli import run

EXAMPLES = Path(__file__).parent.parent / "examples"


def cli(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err, io.BytesIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_convert_examples_to_pipelines_all_valid() -> None:
    code, out, err = cli("convert", "--to", "pipelines", str(EXAMPLES / "track_v1.jsonl"))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 10
    for env in lines:
        request = Request.from_json(env)
        assert request.api == "pipelines"
        assert list(iter_errors(request)) == []


def test_convert_losses_file_and_summary(tmp_path: Path) -> None:
    env = {"method": "POST", "path": "/v1/track", "body": {"userId": "u1", "event": "e", "context": {"ip": "1.2.3.4"}}}
    code, out, err = cli("convert", "--to", "track-v1", stdin=json.dumps(env).encode())
    assert code == 0 and "1 value(s) had no home" in err
    losses = tmp_path / "losses.jsonl"
    code, out, err = cli("convert", "--to", "track-v1", "--losses", str(losses), stdin=json.dumps(env).encode())
    assert code == 0 and err == ""
    (loss,) = [json.loads(line) for line in losses.read_text().splitlines()]
    assert loss["pointer"] == "/body/context" and loss["reason"] == "no-home" and loss["line"] == 1
    assert json.loads(out) == {"method": "POST", "path": "/api/v1/customers/u1/events", "body": {"name": "e"}}


def test_strict_refuses_and_exits_1() -> None:
    env = {"method": "POST", "path": "/v1/track", "body": {"userId": "u1", "event": "e", "context": {"ip": "1.2.3.4"}}}
    code, out, err = cli("convert", "--to", "track-v1", "--strict", stdin=json.dumps(env).encode())
    assert code == 1 and out == ""
    assert "strict conversion refused" in err and "Traceback" not in err


def test_unsupported_and_invalid_are_refused_others_converted() -> None:
    lines = [
        {"method": "POST", "path": "/api/v1/forms/f1/submit", "body": {"data": {"email": "a@example.com"}}},
        {"method": "PUT", "path": "/api/v1/customers/42", "body": {"score": [1]}},
        {"method": "DELETE", "path": "/api/v1/customers/42"},
    ]
    code, out, err = cli("convert", "--to", "pipelines", stdin="\n".join(map(json.dumps, lines)).encode())
    assert code == 1
    assert err.count("<stdin>:") == 2 and "<stdin>:1:" in err and "<stdin>:2:" in err
    assert json.loads(out)["body"] == {"userId": "42", "event": "User Deleted"}


@pytest.mark.parametrize(
    "argv", [["convert"], ["convert", "--to", "track-v3"], ["convert", "--to", "pipelines", "-j", "0"]]
)
def test_convert_usage_errors(argv: list[str]) -> None:
    code, _, err = cli(*argv)
    assert code == 2 and "Traceback" not in err


def test_jobs_2_gives_the_same_output_in_order(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "in.jsonl"
    envs = [
        {
            "method": "POST",
            "path": f"/api/v1/customers/u{i}/events",
            "body": {"name": "e", "data": {"n": rng.randrange(100)}},
        }
        for i in range(1200)
    ]
    path.write_text("\n".join(map(json.dumps, envs)) + "\n")
    one = cli("convert", "--to", "pipelines", str(path))
    two = cli("convert", "--to", "pipelines", "-j", "2", str(path))
    assert one[0] == two[0] == 0
    assert one[1] == two[1]
    assert [json.loads(line)["body"]["userId"] for line in two[1].splitlines()] == [f"u{i}" for i in range(1200)]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_convert_names_the_line_of_a_truncated_jsonl_line(tmp_path: Path, jobs: str) -> None:
    good = {"method": "DELETE", "path": "/api/v1/customers/42"}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(good) + '\n{"a": 1\n' + json.dumps(good) + "\n")
    code, out, err = cli("convert", "--to", "pipelines", "-j", jobs, str(path))
    assert code == 1 and len(out.splitlines()) == 2
    assert f"{path}:2: invalid JSON: line 2, column 8: truncated JSON" in err


@pytest.fixture(scope="module")
def corrupt_stream() -> tuple[bytes, set[int]]:
    """10,000 JSON Lines of which 1% are corrupt in varied ways."""
    rng = random.Random(11)
    corruptions = [
        b'{"method": "POST", "path": "/v1/identify", "bo',
        b'{"a": NaN}',
        b"\xff\xfe",
        b'{"a": 1, "a": 2}',
        b"]",
    ]
    lines, bad = [], set()
    for i in range(1, 10_001):
        if i % 100 == 37:
            lines.append(corruptions[i % len(corruptions)])
            bad.add(i)
        else:
            env = {
                "method": "POST",
                "path": "/v1/track",
                "body": {"userId": f"u{i}", "event": "e", "properties": {"i": i}},
            }
            lines.append(json.dumps(env).encode())
    rng.shuffle(corruptions)
    return b"\n".join(lines) + b"\n", bad


def test_validate_reports_every_corrupt_line(corrupt_stream: tuple[bytes, set[int]]) -> None:
    data, bad = corrupt_stream
    code, out, _ = cli("validate", "-o", "json", stdin=data)
    report = json.loads(out)
    assert code == 1 and report["checked"] == 10_000
    assert {e["line"] for e in report["parse_errors"]} == bad
    assert report["errors"] == []


def test_convert_processes_every_good_line(corrupt_stream: tuple[bytes, set[int]]) -> None:
    data, bad = corrupt_stream
    code, out, err = cli("convert", "--to", "track-v1", stdin=data)
    assert code == 1
    assert len(out.splitlines()) == 10_000 - len(bad)
    reported = {int(line.split(":")[1]) for line in err.splitlines() if line.startswith("<stdin>:")}
    assert reported == bad


def test_size_command() -> None:
    small = {"method": "POST", "path": "/v1/identify", "body": {"userId": "u", "traits": {"x": "é" * 10}}}
    big = {"method": "POST", "path": "/v1/identify", "body": {"userId": "u", "traits": {"x": "y" * 64_000}}}
    code, out, _ = cli("size", "-o", "json", stdin="\n".join(map(json.dumps, [small, big])).encode())
    report = json.loads(out)
    assert code == 1 and report["status"] == "fail"
    first, second = report["results"]
    assert first["ok"] and first["size"] == len(
        json.dumps(small["body"], separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert not second["ok"] and second["limit"] == 64_000 and second["scope"] == "single"
    code, out, _ = cli("size", "--limits", "pipelines-openapi", "--kb", "1024", stdin=json.dumps(small).encode())
    assert code == 0 and "/ 32768 bytes (single) ok" in out


def test_broken_first_lines_do_not_hide_the_valid_lines_after_them(tmp_path: Path) -> None:
    """Two broken lines first: the rest is still read line by line, with -j 1 as with -j 2."""
    good = json.dumps({"method": "PUT", "path": "/api/v1/customers/42", "body": {"plan": "pro"}})
    path = tmp_path / "in.jsonl"
    path.write_text('{"method": \n{"oops"\n' + good + "\n" + good + "\n")
    outputs = []
    for jobs in ("1", "2"):
        code, out, err = cli("convert", "--to", "pipelines", "-j", jobs, str(path))
        assert code == 1
        assert len(out.splitlines()) == 2, (jobs, out, err)
        assert f"{path}:1:" in err and f"{path}:2:" in err and "2 request(s) refused" in err
        outputs.append((out, err))
    assert outputs[0] == outputs[1]
