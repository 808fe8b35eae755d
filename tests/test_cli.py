"""The command line, driven through ``run()`` with in-memory streams."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cio_schemas.cli import run

EXAMPLES = sorted(str(p) for p in (Path(__file__).parent.parent / "examples").glob("*.jsonl"))

GOOD = {"method": "POST", "path": "/v1/identify", "body": {"userId": "42", "traits": {"plan": "pro"}}}
BAD = {"method": "PUT", "path": "/api/v1/customers/42/devices", "body": {"device": {"id": "t", "platform": "web"}}}


def cli(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err, io.BytesIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_examples_are_valid() -> None:
    code, out, err = cli("validate", *EXAMPLES)
    assert (code, err) == (0, ""), out
    assert out.startswith("ok: ")


def test_invalid_envelope_text_report_and_exit_1() -> None:
    code, out, _ = cli("validate", "-", stdin=(json.dumps(GOOD) + "\n" + json.dumps(BAD) + "\n").encode())
    assert code == 1
    assert out.splitlines() == [
        "<stdin>:2: PUT /api/v1/customers/42/devices: /device/platform: 'web' is not one of ['ios', 'android'] [enum]",
        "fail: 1 of 2 requests invalid",
    ]


def test_json_report() -> None:
    code, out, _ = cli("validate", "--format", "json", stdin=json.dumps([GOOD, BAD]).encode())
    report = json.loads(out)
    assert code == 1 and report["status"] == "fail" and report["checked"] == 2
    (error,) = report["errors"]
    assert error["index"] == 1 and error["pointer"] == "/device/platform" and error["keyword"] == "enum"
    code, out, _ = cli("validate", "-o", "json", stdin=json.dumps(GOOD).encode())
    assert code == 0 and json.loads(out) == {
        "status": "ok",
        "checked": 1,
        "errors": [],
        "parse_errors": [],
        "unreadable": [],
    }


def test_pretty_printed_single_document() -> None:
    code, out, _ = cli("validate", stdin=json.dumps(GOOD, indent=2).encode())
    assert code == 0, out


def test_bad_lines_are_reported_and_the_rest_still_checked() -> None:
    lines = [
        json.dumps(GOOD),
        '{"method": "POST", "path": "/v1/identify", "bo',
        json.dumps(BAD),
        "[1,",
        json.dumps(GOOD),
    ]
    code, out, _ = cli("validate", "-o", "json", stdin="\n".join(lines).encode())
    report = json.loads(out)
    assert code == 1 and report["checked"] == 5
    assert [e["line"] for e in report["parse_errors"]] == [2, 4]
    assert [e["line"] for e in report["errors"]] == [3]


def test_a_truncated_jsonl_line_is_reported_at_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(GOOD) + '\n{"a": 1\n' + json.dumps(GOOD) + "\n")
    code, out, _ = cli("validate", str(path))
    assert code == 1
    assert out == (
        f"{path}:2: invalid JSON: line 2, column 8: truncated JSON: Expecting ',' delimiter\nfail: 1 of 3 requests invalid\n"
    )
    one = tmp_path / "one.jsonl"
    one.write_text('{"a": 1\n')
    code, out, _ = cli("validate", "-o", "json", str(one))
    (error,) = json.loads(out)["parse_errors"]
    assert code == 1 and error["line"] == 1 and "line 1, column 8: truncated JSON" in error["message"]


def test_a_number_beyond_a_float_is_invalid_json() -> None:
    data = json.dumps(GOOD).replace('"plan": "pro"', '"plan": 1e999').encode()
    code, out, _ = cli("validate", stdin=data)
    assert code == 1
    column = data.index(b"1e999") + 1
    assert out.startswith(f"<stdin>:1: invalid JSON: line 1, column {column}: the number 1e999 is too large")


def test_unknown_route_is_reported_not_raised() -> None:
    code, out, _ = cli("validate", stdin=b'{"method": "POST", "path": "/v1/nope", "body": {}}')
    assert code == 1 and "no route for POST /v1/nope" in out


@pytest.mark.parametrize(
    "argv",
    [["validate", "/no/such/file.jsonl"], ["validate", "--format", "xml"], ["frobnicate"], []],
)
def test_usage_errors_exit_2_without_traceback(argv: list[str]) -> None:
    code, out, err = cli(*argv)
    assert code == 2
    assert "Traceback" not in out + err


def test_schemas_lists_every_schema_with_its_route() -> None:
    code, out, _ = cli("schemas", "--format", "json")
    rows = json.loads(out)
    by_name = {r["schema"]: r["route"] for r in rows}
    assert code == 0
    assert by_name["track_v1/identify"] == "PUT /api/v1/customers/{identifier}"
    assert by_name["pipelines/semantic/user_deleted"] == "POST /v1/track (event='User Deleted')"
    code, out, _ = cli("schemas")
    assert code == 0 and "track_v1/identify" in out


def test_schemas_lists_batch_items_and_custom_events_where_they_are_sent() -> None:
    code, out, _ = cli("schemas", "--format", "json")
    by_name = {r["schema"]: r["route"] for r in json.loads(out)}
    assert code == 0
    # The group item of a Pipelines batch is not the body of POST /v1/group (pipelines/group is).
    assert by_name["pipelines/batch_group"] == "POST /v1/batch (type=group)"
    assert by_name["pipelines/group"] == "POST /v1/group"
    assert by_name["pipelines/track_event"] == "POST /v1/track (any other event: a custom event)"
    assert sorted(n for n, r in by_name.items() if r == "(shared definitions)") == ["common/pipelines", "common/track"]


ROOT = Path(__file__).parent.parent


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for another install")
@pytest.mark.parametrize("beside_python", [True, False], ids=["console-script", "python-m"])
def test_wheel_smoke_script_runs_the_cli_of_its_own_interpreter(tmp_path: Path, beside_python: bool) -> None:
    repo = tmp_path / "repo"
    for part in ("schemas", "examples"):
        shutil.copytree(ROOT / part, repo / part)
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "cio-schemas").write_text("#!/bin/sh\necho 'another install' >&2\nexit 3\n")
    (decoy / "cio-schemas").chmod(0o755)
    python = sys.executable
    if not beside_python:  # an interpreter with no console script next to it
        (tmp_path / "bin").mkdir()
        python = str(tmp_path / "bin" / "python")
        os.symlink(sys.executable, python)
    env = {**os.environ, "PATH": f"{decoy}{os.pathsep}{os.environ.get('PATH', '')}"}
    if not beside_python:
        # Outside its virtualenv's bin the interpreter no longer reads the virtualenv's pyvenv.cfg:
        # hand it this interpreter's import path, so that it finds cio_schemas as installed here.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    done = subprocess.run(
        [python, str(ROOT / "tests" / "smoke_wheel.py"), str(repo)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "example files valid" in done.stdout


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b'{"method": "POST", "path": "/v1/identify", "body": {"userId": NaN}}', "NaN is not valid JSON"),
        (
            b'{"method": "POST", "path": "/v1/identify", "body": {"userId": "a", "userId": "b"}}',
            "duplicate key 'userId'",
        ),
        (b'{"method": "POST", "path": "/v1/identify", "body": {"userId": "\\udc00"}}', "lone UTF-16 surrogate"),
        (b'{"method": "POST", "path": "/v1/identify", "body": {"userId": "\xc3"}}', "invalid UTF-8"),
        (b'\xef\xbb\xbf{"method": "POST", "path": "/v1/identify", "body": {"userId": "a"}}', "byte-order mark"),
        (b"", "empty input"),
        (b'{"method": "POST", "path": "/v1/identify", "body": {"userId": "a"', "truncated JSON"),
        (b'{"method": "POST", "path": "/v1/identify", "body": {1: 2}}', "line 1"),
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["convert", "--to", "track-v1"], ["size"]])
def test_bad_json_is_a_one_line_error_naming_the_line(command: list[str], data: bytes, fragment: str) -> None:
    code, out, err = cli(*command, stdin=data)
    assert code == 1
    text = out + err
    assert fragment in text and "<stdin>:1" in text
    assert "Traceback" not in text
