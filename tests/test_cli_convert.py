"""``cio-schemas convert`` and ``cio-schemas size``, and streams with corrupt lines."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

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
    assert code == 0 and "note: 1 loss(es) converting to" in err
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
    assert err.splitlines() == [
        "<stdin>:1: cannot convert POST /api/v1/forms/{form_id}/submit to pipelines: "
        + err.splitlines()[0].split(" to pipelines: ", 1)[1],
        "<stdin>:2: PUT /api/v1/customers/42: 1 problem in the request body",
        # every problem of an invalid request is shown with its pointer and rule, as `validate` shows it
        "<stdin>:2: PUT /api/v1/customers/42: /score: [1] is not of type 'string', 'number', 'boolean'; nested values "
        "are not allowed here: flatten them (a.b keys) or send them as Track v2 attributes [type]",
        "error: 2 request(s) refused",
    ]
    assert json.loads(out)["body"] == {"userId": "42", "event": "User Deleted"}


def test_a_request_that_loses_everything_is_refused_not_dropped_silently(tmp_path: Path) -> None:
    """A call too large for the target, or a batch of which no item converts, gives no output: exit 1, with why."""
    too_large = {"method": "POST", "path": "/v1/identify", "body": {"userId": "1", "traits": {"a": "x" * 70_000}}}
    delete = {"type": "object", "action": "delete", "identifiers": {"object_type_id": "1", "object_id": "acme"}}
    no_item = {"method": "POST", "path": "/api/v2/batch", "body": {"batch": [delete]}}
    fine = {"method": "POST", "path": "/v1/identify", "body": {"userId": "2"}}
    stdin = "\n".join(json.dumps(e) for e in (too_large, fine, no_item)).encode()
    losses = tmp_path / "losses.jsonl"
    code, out, err = cli("convert", "--to", "pipelines", "--losses", str(losses), stdin=stdin)
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == [fine]
    lines = err.splitlines()
    assert lines[0] == "<stdin>:1: POST /v1/identify: not converted: nothing of it can be sent to pipelines"
    assert lines[1].startswith("<stdin>:1: /body: ") and lines[1].endswith("[too-large]")
    assert lines[2] == "<stdin>:3: POST /api/v2/batch: not converted: nothing of it can be sent to pipelines"
    assert lines[3].startswith("<stdin>:3: /body/batch/0: ") and lines[3].endswith("[unsupported]")
    assert lines[4:] == ["error: 2 request(s) refused"]  # no note sending to --losses for what was just printed
    code, _, err = cli("convert", "--to", "pipelines", stdin=stdin)
    assert code == 1 and "note:" not in err
    assert [json.loads(line)["line"] for line in losses.read_text().splitlines()] == [1, 3]


def test_strict_refusals_name_every_value_they_would_lose(tmp_path: Path) -> None:
    line = {"method": "POST", "path": "/v1/track", "body": {"userId": "42", "event": "e", "context": {"ip": "x"}}}
    losses = tmp_path / "losses.jsonl"
    code, out, err = cli(
        "convert", "--to", "track-v1", "--strict", "--losses", str(losses), stdin=json.dumps(line).encode()
    )
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "<stdin>:1: POST /v1/track: strict conversion refused: it would lose 1 value(s) (no-home)",
        "<stdin>:1: POST /v1/track: /body/context: track-v1 has no field for 'context' here [no-home]",
        "error: 1 request(s) refused",
    ]
    # The losses file stays the machine-readable record of what strict mode refused to lose.
    (loss,) = [json.loads(line) for line in losses.read_text().splitlines()]
    assert (loss["line"], loss["pointer"], loss["reason"]) == (1, "/body/context", "no-home")


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


def test_convert_turns_each_line_into_its_own_requests() -> None:
    """The command line converts line by line and merges nothing (``convert_many`` does, in Python): an
    identify with a relationship comes back from Pipelines as an identify and a relationship-only identify,
    the same effect in Customer.io; lines of separate requests stay separate."""
    identify = json.loads((EXAMPLES / "track_v1.jsonl").read_text().splitlines()[1])
    assert "cio_relationships" in identify["body"]
    code, there, _ = cli("convert", "--to", "pipelines", stdin=json.dumps(identify).encode())
    assert code == 0 and len(there.splitlines()) == 2
    code, back, _ = cli("convert", "--to", "track-v1", stdin=there.encode())
    bodies = [json.loads(line)["body"] for line in back.splitlines()]
    assert code == 0 and bodies == [
        {k: v for k, v in identify["body"].items() if k != "cio_relationships"},
        {"cio_relationships": identify["body"]["cio_relationships"]},
    ]


@pytest.mark.parametrize("no_size", [[], ["--no-size"]])
def test_a_path_no_client_can_send_is_a_path_problem(no_size: list[str]) -> None:
    line = json.dumps({"method": "PUT", "path": "/api/v1/customers/%ZZ", "body": {}})
    code, out, _ = cli("validate", "-o", "json", *no_size, stdin=line.encode())
    report = json.loads(out)
    assert code == 1 and report["parse_errors"] == []
    assert [(e["keyword"], e["pointer"]) for e in report["errors"]] == [("path", "")]
    code, out, _ = cli("validate", *no_size, stdin=line.encode())
    assert ": (path): a path parameter of PUT /api/v1/customers/{identifier} has a malformed" in out


def test_jobs_2_gives_the_same_standard_error_in_order(tmp_path: Path) -> None:
    """Notes and refusals keep their input order with several processes, as with one."""
    note = {"method": "POST", "path": "/v1/alias", "body": {"userId": "a", "previousId": "b"}}
    refused = {"method": "POST", "path": "/v1/track", "body": {"groupId": "g", "event": "e"}}
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(note if i % 3 else refused) + "\n" for i in range(1200)))
    one = cli("convert", "--to", "track-v2", str(path))
    two = cli("convert", "--to", "track-v2", "-j", "2", str(path))
    assert one == two
    numbers = [int(line.split("in.jsonl:")[1].split(":")[0]) for line in one[2].splitlines() if "in.jsonl:" in line]
    assert one[0] == 1 and numbers[:4] == [1, 2, 3, 4] and numbers == sorted(numbers)


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


def test_validate_checks_the_size_limits_too() -> None:
    """An oversize request or batch item is invalid (rule ``size``), with the profile asked for; --no-size skips it."""
    big = {"method": "POST", "path": "/v1/identify", "body": {"userId": "u", "traits": {"x": "y" * 64_000}}}
    item = {"type": "person", "action": "identify", "identifiers": {"id": "1"}, "attributes": {"a": "x" * 900}}
    many = {f"a{i}": "x" * 900 for i in range(40)}
    batch = {"method": "POST", "path": "/api/v2/batch", "body": {"batch": [item, {**item, "attributes": many}]}}
    stdin = "\n".join(map(json.dumps, [big, batch, _GOOD])).encode()
    code, out, _ = cli("validate", stdin=stdin)
    size = len(json.dumps(big["body"], separators=(",", ":")))
    assert code == 1 and out.splitlines() == [
        f"<stdin>:1: POST /v1/identify: (body): the request is {size} bytes; pipelines takes 64000 bytes at most [size]",
        "<stdin>:2: POST /api/v2/batch: /batch/1: the item is "
        + str(len(json.dumps({**item, "attributes": many}, separators=(",", ":"))))
        + " bytes; track-v2 takes 32000 bytes at most [size]",
        "fail: 2 of 3 requests invalid",
    ]
    code, out, _ = cli("validate", "-o", "json", "--limits", "pipelines-openapi", stdin=json.dumps(big).encode())
    (error,) = json.loads(out)["errors"]
    assert code == 1 and error["keyword"] == "size" and error["pointer"] == "" and "32000 bytes" in error["message"]
    assert (error["path"], error["schema"]) == ("$", "limits")  # shaped as every other problem
    assert cli("validate", "--no-size", stdin=stdin)[:2] == (0, "ok: 3 requests valid\n")


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
    assert code == 0 and "/ 32768 bytes (single) ok" in out and out.endswith("\nok: 1 request within limits\n")
    code, out, _ = cli("size", stdin="\n".join(map(json.dumps, [small, big, small])).encode())
    assert code == 1 and out.splitlines()[-1] == "fail: 1 of 3 requests over a limit or not measurable"


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


_GOOD = {"method": "PUT", "path": "/api/v1/customers/42", "body": {"plan": "pro"}}
_WHOLE_FILES = {
    "pretty-printed": json.dumps(_GOOD, indent=2),
    "array": json.dumps([_GOOD, _GOOD], indent=1),
    "empty": "",
    "blank": "\n \n",
    "garbage": "\x00\x01not json\n{{{\n\x7f]]\n",
    "pretty-printed, broken": json.dumps(_GOOD, indent=2)[:-3],
}


@pytest.mark.parametrize("text", list(_WHOLE_FILES.values()), ids=list(_WHOLE_FILES))
def test_jobs_give_what_one_process_gives_on_files_that_are_not_json_lines(tmp_path: Path, text: str) -> None:
    path = tmp_path / "in.json"
    path.write_text(text)
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps(_GOOD) + "\n")
    results = [cli("convert", "--to", "pipelines", "-j", jobs, str(lines), str(path), str(lines)) for jobs in "12"]
    assert results[0] == results[1]
    code, out, err = results[0]
    assert out.count("\n") >= 2 and (code == 0) == (not err)


def test_a_losses_file_that_is_also_an_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(_GOOD) + "\n")
    code, out, err = cli("convert", "--to", "pipelines", "--losses", str(path), str(path))
    assert code == 2 and out == ""
    assert "is also an input file" in err
    assert json.loads(path.read_text()) == _GOOD  # untouched


@pytest.mark.parametrize("command", ["convert", "validate", "size"])
def test_an_unreadable_file_is_reported_and_the_others_are_still_read(tmp_path: Path, command: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(_GOOD) + "\n")
    missing = tmp_path / "missing.json"
    argv = {"convert": ["convert", "--to", "pipelines"], "validate": ["validate", "-o", "json"], "size": ["size"]}
    code, out, err = cli(*argv[command], str(path), str(missing), str(path))
    assert code == 2
    assert err.count("cannot read") == 1 and str(missing) in err
    if command == "convert":
        assert [json.loads(line)["body"]["userId"] for line in out.splitlines()] == ["42", "42"]
    elif command == "validate":
        report = json.loads(out)
        assert report["checked"] == 2 and report["status"] == "fail" and not report["errors"]
    else:
        assert out.count(f"{path}:1: PUT /api/v1/customers/42:") == 2


def test_a_closed_standard_output_gets_one_line_not_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(_GOOD) + "\n")
    code = f"import sys; sys.argv = ['cio-schemas', 'convert', '--to', 'pipelines', {str(path)!r}]; "
    code += "from cio_schemas.cli import main; raise SystemExit(main())"
    done = subprocess.run(
        f'{sys.executable} -c "{code}" >&-', shell=True, capture_output=False, stderr=subprocess.PIPE, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: standard output is closed; give cio-schemas somewhere to write"]


@pytest.mark.parametrize("command", [["validate"], ["convert", "--to", "track-v2"]])
def test_a_reader_that_goes_away_is_not_a_success(tmp_path: Path, command: list[str]) -> None:
    """``cio-schemas … | head -1``: exit 141 (as SIGPIPE gives a shell), not 0, and no traceback."""
    import subprocess
    import sys

    bad = {"method": "PUT", "path": "/api/v1/customers/42/devices", "body": {"device": {"id": "t", "platform": "web"}}}
    lines = [bad if command[0] == "validate" else _GOOD] * 20_000
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    args = ["-c", "from cio_schemas.cli import main; raise SystemExit(main())", *command, str(path)]
    with subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141
    assert first and "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="needs /dev/stdout and /dev/stdin")
def test_standard_streams_named_as_files_are_refused_and_a_pipe_is_a_fine_report(tmp_path: Path) -> None:
    """``--losses /dev/stdout`` would mix the report into the output, and ``- /dev/stdin`` read stdin twice:
    both are usage errors; ``--losses /dev/stderr`` (not seekable) simply receives the report."""
    import subprocess
    import sys

    source = tmp_path / "in.jsonl"
    lossy = {"method": "POST", "path": "/v1/track", "body": {"userId": "u1", "event": "e", "context": {"ip": "x"}}}
    source.write_text(json.dumps(lossy) + "\n")
    main = ["-c", "from cio_schemas.cli import main; raise SystemExit(main())"]

    def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
        with source.open("rb") as stdin:
            args = [sys.executable, *main, *argv]
            return subprocess.run(args, stdin=stdin, capture_output=True, text=True, timeout=120, check=False)

    for path in ("/dev/stdout", "/dev/fd/1"):
        done = run_cli("convert", "--to", "track-v1", "--losses", path, str(source))
        assert (done.returncode, done.stdout) == (2, "") and "--losses takes a file name" in done.stderr
    done = run_cli("validate", "-", "/dev/stdin")
    assert done.returncode == 2 and "given more than once" in done.stderr
    done = run_cli("convert", "--to", "track-v1", "--losses", "/dev/stderr", str(source))
    assert done.returncode == 0 and json.loads(done.stdout)["path"] == "/api/v1/customers/u1/events"
    assert json.loads(done.stderr.splitlines()[0])["pointer"] == "/body/context" and "Traceback" not in done.stderr


def test_identifier_kind_with_a_pipelines_target_is_noted_as_ignored() -> None:
    code, out, err = cli("convert", "--to", "pipelines", "--identifier-kind", "email", stdin=json.dumps(_GOOD).encode())
    assert code == 0 and json.loads(out)["body"]["userId"] == "42"
    assert err == "note: --identifier-kind applies only to Track targets; converting to pipelines ignores it\n"


def test_size_names_invalid_json_as_validate_and_convert_do() -> None:
    code, out, _ = cli("size", stdin=b'{"method": "PUT",\n')
    assert code == 1 and out.startswith("<stdin>:1: invalid JSON: ")


def test_changes_are_written_as_json_lines_by_one_process_and_by_several(tmp_path: Path) -> None:
    call = {"userId": "42", "event": "e", "timestamp": "2024-01-01T00:00:00Z", "properties": {"at": "2024-01-02"}}
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"method": "POST", "path": "/v1/track", "body": call}) for _ in range(3)))
    written = []
    for jobs in "12":
        changes = tmp_path / f"changes-{jobs}.jsonl"
        code, out, err = cli("convert", "--to", "track-v1", "-j", jobs, "--changes", str(changes), str(path))
        assert code == 0 and len(out.splitlines()) == 3, err
        rows = [json.loads(line) for line in changes.read_text().splitlines()]
        written.append(rows)
    assert written[0] == written[1]
    first = [r for r in written[0] if r["line"] == 1]
    assert {(r["pointer"], r["before"], r["after"]) for r in first} >= {
        ("/body/properties/at", "2024-01-02", 1704153600),
    }
    assert all(set(r) == {"file", "line", "index", "pointer", "before", "after", "reason"} for r in written[0])


def test_a_changes_file_that_is_also_an_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(_GOOD) + "\n")
    losses = tmp_path / "losses.jsonl"
    code, _, err = cli("convert", "--to", "pipelines", "--losses", str(losses), "--changes", str(path), str(path))
    assert code == 2 and "--changes" in err and "is also an input file" in err
    assert json.loads(path.read_text()) == _GOOD


def test_a_pretty_printed_one_element_array_is_one_document(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text("[\n" + json.dumps(_GOOD) + "\n]\n")
    for jobs in "12":
        code, out, err = cli("convert", "--to", "pipelines", "-j", jobs, str(path))
        assert code == 0 and err == "" and json.loads(out)["body"]["userId"] == "42"


def test_with_jobs_an_unreadable_file_is_reported_in_input_order(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"method": "PUT", "path": "/api/v1/customers/42", "body": {"s": [1]}}) + "\n")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_GOOD) + "\n")
    missing = str(tmp_path / "missing.jsonl")
    results = [cli("convert", "--to", "pipelines", "-j", jobs, str(bad), missing, str(good)) for jobs in "12"]
    assert results[0] == results[1]
    code, out, err = results[0]
    assert code == 2 and len(out.splitlines()) == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"{bad}:1: ") and lines[-2].startswith(f"error: cannot read {missing}")


class _FailingReader(io.RawIOBase):
    """Three good JSON Lines, then a read error."""

    def __init__(self) -> None:
        self.data = io.BytesIO((json.dumps(_GOOD) + "\n").encode() * 3)
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(len(buffer))
        if not chunk:
            raise OSError(5, "Input/output error")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_lines_read_before_a_read_error_are_converted_with_jobs_as_without() -> None:
    outputs = []
    for jobs in "12":
        out, err = io.StringIO(), io.StringIO()
        code = run(["convert", "--to", "pipelines", "-j", jobs, "-"], out, err, io.BufferedReader(_FailingReader()))
        assert code == 2 and "cannot read <stdin>" in err.getvalue()
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 3


def test_losses_and_changes_cannot_share_a_file_or_overwrite_standard_input(tmp_path: Path) -> None:
    report = tmp_path / "r.jsonl"
    code, _, err = cli("convert", "--to", "track-v1", "--losses", str(report), "--changes", str(report), "-")
    assert code == 2 and "both name" in err
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(_GOOD) + "\n")
    keep = tmp_path / "keep.jsonl"
    keep.write_text("kept\n")
    with source.open("rb") as stdin:
        out, err_io = io.StringIO(), io.StringIO()
        code = run(
            ["convert", "--to", "pipelines", "--changes", str(keep), "--losses", str(source)], out, err_io, stdin
        )
    assert code == 2 and "standard input" in err_io.getvalue()
    assert json.loads(source.read_text()) == _GOOD and keep.read_text() == "kept\n"  # neither was opened


def test_validate_summary_names_unreadable_files() -> None:
    examples = str(EXAMPLES / "track_v1.jsonl")
    checked = sum(1 for line in Path(examples).read_text().splitlines() if line.strip())
    code, out, _ = cli("validate", examples, "/nonexistent/x.jsonl")
    assert checked and code == 2 and out.splitlines()[-1] == f"fail: 0 of {checked} requests invalid, 1 file unreadable"
    bad = json.dumps({"method": "PUT", "path": "/api/v1/customers/42", "body": {"s": [1]}})
    code, out, _ = cli("validate", "-", "/nonexistent/x.jsonl", stdin=(bad + "\n" + json.dumps(_GOOD)).encode())
    assert code == 2 and out.splitlines()[-1] == "fail: 1 of 2 requests invalid, 1 file unreadable"
    code, out, _ = cli("validate", "/nonexistent/x.jsonl")
    assert code == 2 and out == "fail: 0 of 0 requests invalid, 1 file unreadable\n"
    code, out, _ = cli("validate", "-o", "json", examples, "/nonexistent/x.jsonl")
    report = json.loads(out)
    assert code == 2 and report["status"] == "fail" and report["checked"] == checked
    assert [m.split(":")[0] for m in report["unreadable"]] == ["cannot read /nonexistent/x.jsonl"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "-", "-"], "'-' (standard input) is given more than once"),
        (["convert", "--to", "pipelines", "-", "-"], "'-' (standard input) is given more than once"),
        (["convert", "--to", "pipelines", "--losses", "-"], "--losses takes a file name"),
        (["convert", "--to", "pipelines", "--changes", "-"], "--changes takes a file name"),
    ],
)
def test_standard_streams_are_used_once(argv: list[str], message: str) -> None:
    """Standard input cannot be read twice, and standard output already carries the converted requests."""
    code, out, err = cli(*argv, stdin=json.dumps(_GOOD).encode())
    assert code == 2 and out == "" and err == f"error: {message}" + err.split(message, 1)[1]


def test_a_report_file_that_cannot_be_opened_empties_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(_GOOD) + "\n")
    keep = tmp_path / "keep.jsonl"
    keep.write_text("kept\n")
    fresh = tmp_path / "fresh.jsonl"
    for losses in (keep, fresh):
        code, _, err = cli(
            "convert", "--to", "pipelines", "--losses", str(losses), "--changes", "/nonexistent/x.jsonl", str(source)
        )
        assert code == 2 and "cannot write /nonexistent/x.jsonl" in err
    assert keep.read_text() == "kept\n" and not fresh.exists()


def test_a_report_file_naming_a_missing_input_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    code, _, err = cli("convert", "--to", "pipelines", "--losses", str(missing), str(missing))
    assert code == 2 and "is also an input file" in err and not missing.exists()


def test_a_byte_order_mark_before_a_pretty_printed_array_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf[\n" + json.dumps(_GOOD).encode() + b"\n]\n")
    results = [cli("convert", "--to", "pipelines", "-j", jobs, str(path)) for jobs in "12"]
    assert results[0] == results[1]
    code, out, err = results[0]
    assert code == 1 and out == "" and "byte-order mark" in err.lower() and err.count(f"{path}:") == 1


def test_jobs_are_bounded() -> None:
    code, _, err = cli("convert", "--to", "pipelines", "-j", "100000")
    assert code == 2 and "at most 64 worker processes" in err


def test_notes_about_what_the_output_will_do_go_to_standard_error() -> None:
    lines = [
        {"method": "POST", "path": "/v1/alias", "body": {"userId": "a", "previousId": "b"}},
        {"method": "POST", "path": "/v1/track", "body": {"userId": "u", "event": "User deleted"}},
    ]
    stdin = "\n".join(map(json.dumps, lines)).encode()
    results = [cli("convert", "--to", "track-v1", "-j", jobs, stdin=stdin) for jobs in "12"]
    assert results[0] == results[1]
    code, out, err = results[0]
    assert code == 0 and len(out.splitlines()) == 2
    assert err.splitlines() == [
        "note: <stdin>:1: a Track v1 merge deletes the secondary profile (previousId) after merging it into the "
        "primary (userId); it cannot be undone",
        "note: <stdin>:2: 'User deleted' is not the semantic event 'User Deleted' (names match exactly): it is a "
        "custom event",
    ]
