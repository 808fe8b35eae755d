"""The ``cio-schemas`` command line: a thin layer over the library.

``main(argv)`` parses arguments and calls ``run(args, stdout, stderr, stdin)``,
which returns the exit code, so everything is testable with ``io`` buffers.

Exit codes (every command): ``0`` success / all valid, ``1`` something was
invalid, refused or unparsable, ``2`` usage error or unreadable input. Errors
are one line each; the CLI never prints a traceback.

Input (every command taking FILEs): a JSON envelope
``{"method", "path", "body"}``, a JSON array of envelopes, or JSON Lines (one
envelope per line). ``-`` (or no FILE) reads standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .errors import CioSchemasError, InvalidJSONError

__all__ = ["main", "run", "build_parser"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """A usage problem or unreadable input: exit 2."""


@dataclass(frozen=True)
class Source:
    """Where an envelope came from: file name, 1-based line, index inside a JSON array."""

    name: str
    line: int
    index: int | None

    def label(self) -> str:
        where = f"{self.name}:{self.line}"
        return where + (f"[{self.index}]" if self.index is not None else "")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.name, "line": self.line, "index": self.index}


@dataclass(frozen=True)
class Envelope:
    """One input envelope: its source and either the parsed JSON or the error that stopped it."""

    source: Source
    value: Any = None
    error: CioSchemasError | None = None


def _open(name: str, stdin: IO[bytes]) -> IO[bytes]:
    if name == "-":
        return stdin
    try:
        return open(name, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise _Usage(f"cannot read {name}: {exc.strerror or exc}") from None


def read_envelopes(files: Sequence[str], stdin: IO[bytes]) -> Iterator[Envelope]:
    """Yield every envelope of every file, lazily; bad JSON becomes an error entry."""
    from .jsonio import iter_documents

    for name in files or ["-"]:
        stream = _open(name, stdin)
        label = "<stdin>" if name == "-" else name
        try:
            for doc in iter_documents(stream):
                yield Envelope(Source(label, doc.line, doc.index), doc.value, doc.error)
        except OSError as exc:
            raise _Usage(f"cannot read {name}: {exc.strerror or exc}") from None
        finally:
            if stream is not stdin:
                stream.close()


def _request(env: Envelope) -> Any:
    from .request import Request

    if env.error is not None:
        raise env.error
    return Request.from_json(env.value)


def _emit_json(stdout: IO[str], payload: Any) -> None:
    stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


# -- validate ---------------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .validation import iter_errors

    errors: list[dict[str, Any]] = []
    parse_errors: list[dict[str, Any]] = []
    checked = 0
    for env in read_envelopes(args.files, stdin):
        checked += 1
        try:
            request = _request(env)
            route = f"{request.method} {request.path}"
            problems = list(iter_errors(request))
        except InvalidJSONError as exc:
            parse_errors.append({**env.source.to_dict(), "message": str(exc)})
            if args.format == "text":
                stdout.write(f"{env.source.label()}: invalid JSON: {exc}\n")
            continue
        except CioSchemasError as exc:
            parse_errors.append({**env.source.to_dict(), "message": str(exc)})
            if args.format == "text":
                stdout.write(f"{env.source.label()}: {exc}\n")
            continue
        for p in problems:
            errors.append({**env.source.to_dict(), "route": route, **p.to_dict()})
            if args.format == "text":
                stdout.write(f"{env.source.label()}: {route}: {p.pointer or '(body)'}: {p.message} [{p.keyword}]\n")
    failed = bool(errors or parse_errors)
    if args.format == "json":
        _emit_json(
            stdout,
            {"status": "fail" if failed else "ok", "checked": checked, "errors": errors, "parse_errors": parse_errors},
        )
    elif not failed:
        stdout.write(f"ok: {checked} request{'s' if checked != 1 else ''} valid\n")
    return EXIT_INVALID if failed else EXIT_OK


# -- schemas ----------------------------------------------------------------------------------
def cmd_schemas(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .catalog import PIPELINES_CALLS, ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS
    from .registry import schema_names

    routes: dict[str, str] = {r.schema: r.name for r in ROUTES}
    for (t, a), name in V2_OPERATIONS.items():
        routes.setdefault(name, f"POST /api/v2/entity (type={t}, action={a})")
    for call, name in PIPELINES_CALLS.items():
        routes.setdefault(name, f"POST /v1/{call}")
    for event, name in SEMANTIC_EVENTS.items():
        routes.setdefault(name, f"POST /v1/track (event={event!r})")
    rows = [{"schema": n, "route": routes.get(n, "(shared definitions)")} for n in schema_names()]
    if args.format == "json":
        _emit_json(stdout, rows)
    else:
        width = max(len(r["schema"]) for r in rows) if rows else 0
        for r in rows:
            stdout.write(f"{r['schema']:<{width}}  {r['route']}\n")
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------
Command = Callable[[argparse.Namespace, IO[str], IO[str], IO[bytes]], int]
COMMANDS: dict[str, Command] = {"validate": cmd_validate, "schemas": cmd_schemas}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; we raise instead
        raise _Usage(f"{self.prog}: {message}")


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--format",
        "--output-format",
        dest="format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    from . import __version__

    parser = _Parser(prog="cio-schemas", description="Validate and convert Customer.io API requests, offline.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("validate", help="validate request envelopes (JSON, JSON array or JSON Lines)")
    _add_format(p)
    p.add_argument("files", nargs="*", metavar="FILE", help="input files; '-' or nothing reads stdin")
    p = sub.add_parser("schemas", help="list every shipped schema with its route")
    _add_format(p)
    return parser


def run(argv: Sequence[str], stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    """Run the CLI with explicit streams; returns the exit code (never raises for bad input)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(list(argv))
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help(stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args, stdout, stderr, stdin)
    except _Usage as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except CioSchemasError as exc:
        stderr.write(f"error: {exc}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cio-schemas`` console script."""
    return run(sys.argv[1:] if argv is None else argv, sys.stdout, sys.stderr, sys.stdin.buffer)
