"""The ``cio-schemas`` command line: a thin layer over the library.

``main(argv)`` parses arguments and calls ``run(args, stdout, stderr, stdin)``,
which returns the exit code, so everything is testable with ``io`` buffers.

Exit codes (every command): ``0`` success / all valid, ``1`` something was
invalid, refused (nothing of a request converts) or unparsable, ``2`` usage
error or unreadable input, ``141`` the reader of standard output went away.
Errors are one line each; the CLI never prints a traceback.

Input (every command taking FILEs): a JSON envelope
``{"method", "path", "body"}``, a JSON array of envelopes, or JSON Lines (one
envelope per line). ``-`` (or no FILE) reads standard input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .errors import CioSchemasError, InvalidJSONError

__all__ = ["main", "run", "build_parser"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: The reader of standard output went away (``| head``): the status a shell gives a tool SIGPIPE stopped.
EXIT_PIPE = 128 + 13


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
        return open(name, "rb")
    except OSError as exc:
        raise _Usage(f"cannot read {name}: {exc.strerror or exc}") from None


class _Inputs:
    """The FILE arguments of one command, read in order.

    A file that cannot be read is reported on ``stderr`` and skipped, and the
    others are still read (as ``cat`` and ``grep`` do); :attr:`unreadable`
    counts them, and the command then exits 2.
    """

    def __init__(self, files: Sequence[str], stdin: IO[bytes], stderr: IO[str]) -> None:
        self.names = list(files) or ["-"]
        if self.names.count("-") > 1 or ("-" in self.names and any(_is_stream(n, stdin) for n in self.names)):
            raise _Usage("'-' (standard input) is given more than once, and it can be read only once")
        self.stdin = stdin
        self.stderr = stderr
        self.unreadable = 0
        #: Why each unreadable file could not be read, in order.
        self.skipped: list[str] = []
        #: With several processes, messages wait here until the output before them is written.
        self.deferred: list[str] | None = None

    def skip(self, message: str) -> None:
        """Report a file that cannot be read (or read on)."""
        self.unreadable += 1
        self.skipped.append(message)
        if self.deferred is not None:
            self.deferred.append(f"error: {message}\n")
        else:
            self.stderr.write(f"error: {message}\n")

    def streams(self) -> Iterator[tuple[str, IO[bytes]]]:
        """``(label, binary stream)`` for every readable file; a read error ends that file only."""
        for name in self.names:
            try:
                stream = _open(name, self.stdin)
            except _Usage as exc:
                self.skip(str(exc))
                continue
            try:
                yield ("<stdin>" if name == "-" else name), stream
            finally:
                if stream is not self.stdin:
                    stream.close()

    def envelopes(self) -> Iterator[Envelope]:
        """Every envelope of every file, lazily; bad JSON becomes an error entry."""
        from .jsonio import iter_documents

        for label, stream in self.streams():
            documents = iter_documents(stream)
            while True:
                try:
                    doc = next(documents)
                except StopIteration:
                    break
                except OSError as exc:
                    self.skip(f"cannot read {label}: {exc.strerror or exc}")
                    break
                yield Envelope(Source(label, doc.line, doc.index), doc.value, doc.error)

    def unreadable_count(self) -> list[str]:
        """The summary's part about unreadable files (``2 files unreadable``), or nothing."""
        n = self.unreadable
        return [f"{n} file{'s' if n != 1 else ''} unreadable"] if n else []

    def code(self, code: int) -> int:
        """The exit code: ``code``, or 2 when a file could not be read."""
        return EXIT_USAGE if self.unreadable else code


def _describe(exc: CioSchemasError) -> str:
    """An error as the CLI shows it: JSON errors say so (``invalid JSON: line 2, column 8: …``)."""
    return f"invalid JSON: {exc}" if isinstance(exc, InvalidJSONError) else str(exc)


def _problem_line(label: str, route: str, problem: Any) -> str:
    """One problem as ``validate`` and ``convert`` print it: where, the route, the pointer, the message, the rule."""
    return f"{label}: {route}: {_where(problem)}: {problem.message} [{problem.keyword}]"


def _where(problem: Any) -> str:
    """Where a problem is, as printed: its pointer, or ``(path)`` / ``(body)`` for the whole of either."""
    return str(problem.pointer or ("(path)" if problem.keyword == "path" else "(body)"))


def _request(env: Envelope) -> Any:
    from .request import Request

    if env.error is not None:
        raise env.error
    return Request.from_json(env.value)


def _emit_json(stdout: IO[str], payload: Any) -> None:
    stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


# -- validate ---------------------------------------------------------------------------------
def _size_problems(request: Any, limits: Any) -> list[Any]:
    """Every batch item over the per-item limit, then the body if it is over its limit, as problems of rule
    ``size`` (the schema named is the limits profile)."""
    from .errors import InvalidRequestError, Problem
    from .sizes import size_report

    try:
        report = size_report(request, limits)
    except InvalidRequestError:  # a path no client can send: reported as a path problem already
        return []
    api = request.route.api
    item = report.item_limit
    out = [
        Problem(
            f"/batch/{i}",
            "size",
            f"the item is {report.item_sizes[i]} bytes; {api} takes {item} bytes at most",
            schema="limits",
        )
        for i in report.items_over
    ]
    if report.size > report.limit:
        what = "batch" if report.scope == "batch" else "request"
        message = f"the {what} is {report.size} bytes; {api} takes {report.limit} bytes at most"
        out.append(Problem("", "size", message, schema="limits"))
    return out


def cmd_validate(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .validation import iter_errors

    limits = None if args.no_size else _limits(args)
    errors: list[dict[str, Any]] = []
    parse_errors: list[dict[str, Any]] = []
    checked = bad = 0
    inputs = _Inputs(args.files, stdin, stderr)
    for env in inputs.envelopes():
        checked += 1
        try:
            request = _request(env)
            route = f"{request.method} {request.path}"
            problems: list[Any] = list(iter_errors(request))
            if limits is not None:
                problems.extend(_size_problems(request, limits))
        except CioSchemasError as exc:
            bad += 1
            parse_errors.append({**env.source.to_dict(), "message": str(exc)})
            if args.format == "text":
                stdout.write(f"{env.source.label()}: {_describe(exc)}\n")
            continue
        for p in problems:
            errors.append({**env.source.to_dict(), "route": route, **p.to_dict()})
            if args.format == "text":
                stdout.write(_problem_line(env.source.label(), route, p) + "\n")
        bad += bool(problems)
    failed = bool(errors or parse_errors or inputs.unreadable)
    if args.format == "json":
        _emit_json(
            stdout,
            {
                "status": "fail" if failed else "ok",
                "checked": checked,
                "errors": errors,
                "parse_errors": parse_errors,
                "unreadable": inputs.skipped,
            },
        )
    elif not failed:
        stdout.write(f"ok: {checked} request{'s' if checked != 1 else ''} valid\n")
    else:
        summary = [f"{bad} of {checked} request{'s' if checked != 1 else ''} invalid", *inputs.unreadable_count()]
        stdout.write(f"fail: {', '.join(summary)}\n")
    return inputs.code(EXIT_INVALID if failed else EXIT_OK)


# -- schemas ----------------------------------------------------------------------------------
def cmd_schemas(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .catalog import PIPELINES_CALLS, ROUTES, SEMANTIC_EVENTS, V2_OPERATIONS, route_by_operation
    from .registry import schema_names
    from .validation import item_schema

    routes: dict[str, str] = {r.schema: r.name for r in ROUTES}
    entity = route_by_operation("track-v2", "entity").name
    for (t, a), name in V2_OPERATIONS.items():
        routes.setdefault(name, f"{entity} (type={t}, action={a})")
    # A call type whose batch item has a schema of its own is sent only inside the batch.
    batch = route_by_operation("pipelines", "batch").name
    for call, name in PIPELINES_CALLS.items():
        routes.setdefault(name, f"{batch} (type={call})")
    track = route_by_operation("pipelines", "track").name
    for event, name in SEMANTIC_EVENTS.items():
        routes.setdefault(name, f"{track} (event={event!r})")
    custom = item_schema("pipelines", {"type": "track", "event": ""})  # an event name that is not semantic
    if custom is not None:
        routes.setdefault(custom, f"{track} (any other event: a custom event)")
    rows = [{"schema": n, "route": routes.get(n, "(shared definitions)")} for n in schema_names()]
    if args.format == "json":
        _emit_json(stdout, rows)
    else:
        width = max(len(r["schema"]) for r in rows) if rows else 0
        for r in rows:
            stdout.write(f"{r['schema']:<{width}}  {r['route']}\n")
    return EXIT_OK


# -- size -------------------------------------------------------------------------------------
def cmd_size(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .sizes import size_report

    limits = _limits(args)
    rows: list[dict[str, Any]] = []
    failed = False
    inputs = _Inputs(args.files, stdin, stderr)
    for env in inputs.envelopes():
        try:
            request = _request(env)
            rep = size_report(request, limits)
        except CioSchemasError as exc:
            failed = True
            what = _describe(exc)
            rows.append({**env.source.to_dict(), "error": what})
            if args.format == "text":
                stdout.write(f"{env.source.label()}: {what}\n")
            continue
        failed = failed or not rep.ok
        row = {
            **env.source.to_dict(),
            "route": f"{request.method} {request.path}",
            "size": rep.size,
            "limit": rep.limit,
            "scope": rep.scope,
            "ok": rep.ok,
            "items_over": list(rep.items_over),
        }
        rows.append(row)
        if args.format == "text":
            verdict = "ok" if rep.ok else "OVER"
            extra = f" (items over: {', '.join(map(str, rep.items_over))})" if rep.items_over else ""
            stdout.write(
                f"{env.source.label()}: {row['route']}: {rep.size} / {rep.limit} bytes ({rep.scope}) {verdict}{extra}\n"
            )
    if args.format == "text":
        plural = "s" if len(rows) != 1 else ""
        if failed or inputs.unreadable:
            over = sum(1 for row in rows if not row.get("ok", False))
            summary = [
                f"{over} of {len(rows)} request{plural} over a limit or not measurable",
                *inputs.unreadable_count(),
            ]
            stdout.write(f"fail: {', '.join(summary)}\n")
        else:
            stdout.write(f"ok: {len(rows)} request{plural} within limits\n")
    if args.format == "json":
        _emit_json(
            stdout,
            {
                "status": "fail" if failed or inputs.unreadable else "ok",
                "limits": args.limits,
                "kb": args.kb,
                "results": rows,
            },
        )
    return inputs.code(EXIT_INVALID if failed else EXIT_OK)


def _limits(args: argparse.Namespace) -> Any:
    from .sizes import get_limits

    try:
        return get_limits(args.limits, kb=args.kb)
    except CioSchemasError as exc:
        raise _Usage(str(exc)) from None


# -- convert ----------------------------------------------------------------------------------
#: One envelope converted: output lines, loss lines, error messages, change lines, notes (what the output will do).
_Lines = tuple[list[str], list[str], list[str], list[str], list[str]]


def _convert_envelope(env: Envelope, to: str, strict: bool, options: Any) -> _Lines:
    """Convert one envelope: (output lines, loss lines, error messages, change lines, note lines). Never raises
    for bad input."""
    from .converters import convert
    from .errors import LossyConversionError

    try:
        request = _request(env)
        result = convert(request, to, strict=strict, options=options)
    except LossyConversionError as exc:  # refused, and what it would lose still goes to --losses
        return [], _report_lines(env.source, exc.losses), [_refusal(env.source.label(), exc)], [], []
    except CioSchemasError as exc:
        return [], [], [_refusal(env.source.label(), exc)], [], []
    except RecursionError:
        return [], [], [f"{env.source.label()}: input nested too deeply"], [], []
    out = [json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":")) for r in result.requests]
    losses = _report_lines(env.source, result.losses)
    changes = _report_lines(env.source, result.changes)
    notes = [f"note: {env.source.label()}: {note}" for note in result.notes]
    errors = [] if out or not result.losses else [_nothing_left(env.source.label(), result)]
    return out, losses, errors, changes, notes


def _report_lines(source: Source, entries: Iterable[Any]) -> list[str]:
    """``--losses`` / ``--changes`` lines: each loss or change, with where its request came from, as JSON."""
    src = source.to_dict()
    return [json.dumps({**src, **entry.to_dict()}, ensure_ascii=False, default=str) for entry in entries]


def _loss_line(label: str, route: str, loss: Any) -> str:
    """One loss as a refusal prints it: where, the route (when given), the pointer, the message, the reason."""
    return f"{label}: {route}{loss.pointer or '(request)'}: {loss.message} [{loss.reason}]"


def _nothing_left(label: str, result: Any) -> str:
    """Why a conversion that lost everything (a request too large for the target, every batch item
    unsupported) counts as refused: a headline, then every loss, as strict mode's refusal lists them."""
    source = result.source
    head = f"{label}: {source.method} {source.path}: not converted: nothing of it can be sent to {result.target}"
    details = [_loss_line(label, "", loss) for loss in result.losses]
    return "\n".join([head, *details])


def _refusal(label: str, exc: CioSchemasError) -> str:
    """Why a request was refused: a headline, then every problem or every value strict mode would lose,
    one per line, each with its pointer (as ``validate`` prints problems)."""
    from .errors import InvalidPayloadError, LossyConversionError

    if isinstance(exc, InvalidJSONError):
        return f"{label}: {_describe(exc)}"
    head = f"{label}: " + str(exc).splitlines()[0]
    if isinstance(exc, InvalidPayloadError):
        details = [_problem_line(label, exc.route, p) for p in exc.problems]
    elif isinstance(exc, LossyConversionError):
        route = f"{exc.route}: " if exc.route else ""
        details = [_loss_line(label, route, loss) for loss in exc.losses]
    else:
        details = []
    return "\n".join([head, *details])


#: What converting some envelopes gives: output text, loss-report text, refusal count, count of the losses of
#: converted requests, change text, and standard-error text (each envelope's notes and refusals, in input order).
_Converted = tuple[str, str, int, int, str, str]


def _joined(results: Iterable[_Lines]) -> _Converted:
    """Envelope results joined into text blocks (one write each, one small object to send between processes)."""
    out: list[str] = []
    losses: list[str] = []
    changes: list[str] = []
    stderr: list[str] = []
    refused = unreported = 0
    for o, lo, e, ch, n in results:
        out.extend(o)
        losses.extend(lo)
        changes.extend(ch)
        stderr.extend(n)
        stderr.extend(e)
        refused += len(e)
        unreported += 0 if e else len(lo)  # a refusal has printed its losses already

    def text(lines: list[str]) -> str:
        return "".join(line + "\n" for line in lines)

    return text(out), text(losses), refused, unreported, text(changes), text(stderr)


def _convert_chunk(job: tuple[list[tuple[str, int, bytes]], str, bool, Any]) -> _Converted:
    """Worker side of ``--jobs``: parse and convert a chunk of JSON Lines."""
    from .jsonio import loads

    lines, to, strict, options = job

    def each() -> Iterator[_Lines]:
        for name, lineno, raw in lines:
            try:
                value = loads(raw, line=lineno)
            except InvalidJSONError as exc:
                yield [], [], [f"{name}:{lineno}: {_describe(exc)}"], [], []
                continue
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in items:
                yield _convert_envelope(Envelope(Source(name, lineno, index), item), to, strict, options)

    return _joined(each())


@dataclass(frozen=True)
class _Whole:
    """A file that is not JSON Lines (one document, pretty-printed or not, or empty): read in one process."""

    label: str
    data: bytes


@dataclass(frozen=True)
class _Skipped:
    """Where the messages about unreadable files belong in the output order."""

    messages: tuple[str, ...]


def _raw_chunks(inputs: _Inputs, size: int) -> Iterator[list[tuple[str, int, bytes]] | _Whole | _Skipped]:
    """Chunks of the non-blank lines of JSON Lines files, every other file as a :class:`_Whole`, and the
    messages about unreadable files, in input order."""
    deferred = inputs.deferred = []

    def skipped() -> Iterator[_Skipped]:
        if deferred:
            yield _Skipped(tuple(deferred))
            deferred.clear()

    for label, stream in inputs.streams():
        yield from skipped()  # a file that could not be opened comes before this one
        try:
            yield from _file_chunks(label, stream, size)
        except OSError as exc:
            inputs.skip(f"cannot read {label}: {exc.strerror or exc}")
        yield from skipped()
    yield from skipped()


def _file_chunks(label: str, stream: IO[bytes], size: int) -> Iterator[list[tuple[str, int, bytes]] | _Whole]:
    """One file's chunks, when it is JSON Lines as :func:`~cio_schemas.jsonio.iter_documents` decides (by
    :func:`~cio_schemas.jsonio.is_json_lines`); else the file is one :class:`_Whole`."""
    from .jsonio import is_json_lines

    head: list[bytes] = []  # every line up to the first non-blank one
    for raw in stream:
        head.append(raw)
        if raw.strip() or (len(head) == 1 and raw.startswith(b"\xef\xbb\xbf")):
            break
    first = head[-1] if head else b""
    if not first.strip() or not is_json_lines(first, line=len(head)):
        yield _Whole(label, b"".join(head) + stream.read())
        return
    chunk = [(label, len(head), first)]
    try:
        for lineno, raw in enumerate(stream, len(head) + 1):
            if raw.strip():
                chunk.append((label, lineno, raw))
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
    except OSError:  # the lines read before a read error are converted, as with one process
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _convert_envelopes(envelopes: Iterable[Envelope], args: argparse.Namespace, options: Any) -> Iterator[_Converted]:
    """The one-process conversion: one result per envelope (one that could not be read is refused)."""
    for env in envelopes:
        yield _joined([_convert_envelope(env, args.to, args.strict, options)])


def _parallel(args: argparse.Namespace, options: Any, inputs: _Inputs) -> Iterator[_Converted]:
    import collections
    import io
    import multiprocessing

    from .jsonio import iter_documents

    ctx = multiprocessing.get_context("spawn" if sys.platform == "win32" else "fork")
    with ctx.Pool(args.jobs) as pool:
        pending: collections.deque[Any] = collections.deque()
        for chunk in _raw_chunks(inputs, 500):
            if isinstance(chunk, _Skipped):  # in order: everything before it first
                while pending:
                    yield pending.popleft().get()
                inputs.stderr.write("".join(chunk.messages))
                continue
            if isinstance(chunk, _Whole):  # in order: everything before it first
                while pending:
                    yield pending.popleft().get()
                documents = iter_documents(io.BytesIO(chunk.data))
                envelopes = (Envelope(Source(chunk.label, d.line, d.index), d.value, d.error) for d in documents)
                yield from _convert_envelopes(envelopes, args, options)
                continue
            pending.append(pool.apply_async(_convert_chunk, ((chunk, args.to, args.strict, options),)))
            while len(pending) > 2 * args.jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _is_input(name: str, path: str, stdin: IO[bytes]) -> bool:
    """Whether writing ``path`` would overwrite the input ``name`` (``-``: whatever standard input reads)."""
    try:
        target = os.stat(path)
        if name == "-":
            source = os.fstat(stdin.fileno())
        elif os.path.exists(name):
            source = os.stat(name)
        else:
            return False
    except FileNotFoundError:  # no report file yet: only the same name makes it the input
        return name != "-" and os.path.realpath(name) == os.path.realpath(path)
    except (OSError, AttributeError, ValueError):  # a stdin with no file behind it
        return False
    return (source.st_dev, source.st_ino) == (target.st_dev, target.st_ino)


def _is_stream(path: str, stream: IO[Any]) -> bool:
    """Whether ``path`` names the file behind ``stream`` (``/dev/stdout`` and the like)."""
    try:
        a, b = os.stat(path), os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):  # no such file yet, or a stream with no file behind it
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _report_files(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str]) -> dict[str, IO[str]]:
    """The files ``--losses`` and ``--changes`` write to, opened only once both are known to be safe:
    neither may be an input (standard input included) or standard output, nor may both name one file."""
    wanted = {option: path for option, path in (("--losses", args.losses), ("--changes", args.changes)) if path}
    for option, path in wanted.items():
        if path == "-" or _is_stream(path, stdout):
            raise _Usage(f"{option} takes a file name: standard output carries the converted requests")
    if len(wanted) == 2:
        a, b = wanted.values()
        if os.path.realpath(a) == os.path.realpath(b) or (os.path.exists(a) and _is_input(a, b, stdin)):
            raise _Usage(f"--losses and --changes both name {b}; give each its own file")
    for option, path in wanted.items():
        for name in args.files or ["-"]:
            if _is_input(name, path, stdin):
                shown = "standard input" if name == "-" else "an input file"
                raise _Usage(f"{option} {path} is also {shown}: writing it would erase the input")
    # Opened for appending first, so that nothing is emptied until every file is known to be writable.
    opened: dict[str, IO[str]] = {}
    created: list[str] = []
    try:
        for option, path in wanted.items():
            existed = os.path.exists(path)
            try:
                opened[option] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - the caller closes it
            except OSError as exc:
                raise _Usage(f"cannot write {path}: {exc.strerror or exc}") from None
            if not existed:
                created.append(path)
    except _Usage:
        for handle in opened.values():
            handle.close()
        for path in created:
            os.remove(path)
        raise
    for handle in opened.values():
        if handle.seekable():  # a pipe or a terminal (/dev/stderr) has nothing to empty
            handle.seek(0)
            handle.truncate()
    return opened


def cmd_convert(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .conversion import ConvertOptions

    _limits(args)
    options = ConvertOptions(
        limits=args.limits,
        kb=args.kb,
        identifier_kind=args.identifier_kind,
        convert_iso_attributes=not args.keep_iso,
    )
    reports = _report_files(args, stdin, stdout)
    loss_file, change_file = reports.get("--losses"), reports.get("--changes")
    if args.to == "pipelines" and args.identifier_kind != "auto":
        stderr.write("note: --identifier-kind applies only to Track targets; converting to pipelines ignores it\n")
    inputs = _Inputs(args.files, stdin, stderr)
    if args.jobs > 1:
        results: Iterator[_Converted] = _parallel(args, options, inputs)
    else:
        results = _convert_envelopes(inputs.envelopes(), args, options)
    refused = lost = 0
    try:
        for out, losses, refusals, count, changes, messages in results:
            if out:
                stdout.write(out)
            lost += count
            refused += refusals
            if loss_file is not None and losses:
                loss_file.write(losses)
            if change_file is not None and changes:
                change_file.write(changes)
            if messages:
                stderr.write(messages)
    finally:
        for report in reports.values():
            report.close()
    if lost and loss_file is None:
        stderr.write(f"note: {lost} loss(es) converting to {args.to}; use --losses FILE for the details\n")
    if refused:
        stderr.write(f"error: {refused} request(s) refused\n")
    return inputs.code(EXIT_INVALID if refused else EXIT_OK)


# -- docs -----------------------------------------------------------------------------------
def cmd_docs(args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[bytes]) -> int:
    from .docs import write_docs

    try:
        paths = write_docs(args.out, args.format)
    except OSError as exc:
        raise _Usage(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    stdout.write(f"wrote {len(paths)} file(s) to {args.out}\n")
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------
Command = Callable[[argparse.Namespace, IO[str], IO[str], IO[bytes]], int]
COMMANDS: dict[str, Command] = {
    "validate": cmd_validate,
    "schemas": cmd_schemas,
    "size": cmd_size,
    "convert": cmd_convert,
    "docs": cmd_docs,
}


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
    _add_limits(p)
    p.add_argument("--no-size", action="store_true", help="check the schemas only, not the size limits")
    p.add_argument("files", nargs="*", metavar="FILE", help="input files; '-' or nothing reads stdin")
    p = sub.add_parser("schemas", help="list every shipped schema with its route")
    _add_format(p)

    p = sub.add_parser("size", help="measure request bodies against the size limits")
    _add_format(p)
    _add_limits(p)
    p.add_argument("files", nargs="*", metavar="FILE", help="input files; '-' or nothing reads stdin")

    from .converters import TARGETS

    p = sub.add_parser("convert", help="convert request envelopes to another API (JSON Lines out)")
    p.add_argument("--to", required=True, choices=TARGETS, help="the target API")
    p.add_argument("--strict", action="store_true", help="refuse any request that would lose a value")
    _add_limits(p)
    p.add_argument("--losses", metavar="FILE", help="write every loss as JSON Lines to FILE")
    p.add_argument("--changes", metavar="FILE", help="write every value carried in another form (a timestamp…) to FILE")
    p.add_argument(
        "--identifier-kind",
        choices=("auto", "id", "email", "cio_id"),
        default="auto",
        help="how a Pipelines userId maps to a Track identifier (default: auto, by its shape)",
    )
    p.add_argument(
        "--keep-iso", action="store_true", help="do not turn ISO 8601 strings in attributes into Unix seconds"
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        help=f"worker processes for JSON Lines input (default 1, at most {_MAX_JOBS})",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="input files; '-' or nothing reads stdin")

    p = sub.add_parser("docs", help="write the schema reference pages (one per schema, plus an index)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--format", choices=("markdown", "html"), default="markdown", help="page format")
    return parser


#: The most worker processes ``convert -j`` starts (each holds the library, about 30 MB).
_MAX_JOBS = 64


def _jobs(text: str) -> int:
    value = _positive(text)
    if value > _MAX_JOBS:
        raise argparse.ArgumentTypeError(f"at most {_MAX_JOBS} worker processes, not {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


def _add_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--limits",
        default="default",
        choices=("default", "pipelines-openapi"),
        help="size limits profile (default: Track 32 KB/500 KB, Pipelines 64 KB/1 MB)",
    )
    p.add_argument("--kb", type=int, choices=(1000, 1024), default=1000, help="bytes per KB (default 1000)")


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
        # The output was cut short, so the run cannot vouch for what it did not write: not 0.
        _silence(stdout)
        return EXIT_PIPE


def _silence(stream: IO[str]) -> None:
    """Point a broken standard output at the null device, so that the flush at exit does not fail on it."""
    if stream is sys.stdout:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cio-schemas`` console script."""
    import io

    # A closed standard stream is None in Python: report it (where possible) instead of failing on it.
    stderr = sys.stderr if sys.stderr is not None else open(os.devnull, "w")  # noqa: SIM115 - process lifetime
    if sys.stdout is None:
        stderr.write("error: standard output is closed; give cio-schemas somewhere to write\n")
        return EXIT_USAGE
    stdin = sys.stdin.buffer if sys.stdin is not None else io.BytesIO()
    return run(sys.argv[1:] if argv is None else argv, sys.stdout, stderr, stdin)
