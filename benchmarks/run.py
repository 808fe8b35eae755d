"""Benchmarks: validate, convert and size-check, as ratios to ``json.loads`` of the same bytes.

Run: ``python benchmarks/run.py`` (add ``--quick`` for fewer repeats, ``--cli`` to also time
``cio-schemas convert`` on a generated JSON Lines file, ``--cli-mb N`` to set its size).

Inputs are generated deterministically (a fixed seed): a ~1 MB Pipelines batch, a ~500 KB Track v2
batch, single ~1 KB and ~60 KB Pipelines calls. For each, ``json.loads`` of the same bytes is the unit:
every timing of a step is paired with a timing of ``json.loads`` just before it, and the ratio printed is
the median of those pairs (machines are noisy, and the pairs see the same machine: compare ratios, not
seconds). Validation and the whole pipeline are timed with each verdict engine this machine
has: ``jsonschema-rs`` (if installed), the compiled schemas, and ``jsonschema`` alone. The "naive" row
validates the same body against Customer.io's published OpenAPI with ``jsonschema``, reading ``oneOf`` as
``anyOf`` so that valid input can pass at all.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cio_schemas import Request, check_size, convert, iter_errors
from cio_schemas.jsonio import is_plain
from cio_schemas.registry import _registry

ENGINE = _registry().engine

ROOT = Path(__file__).resolve().parent.parent

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _call(rng: random.Random, i: int) -> dict[str, Any]:
    user = f"user-{rng.randrange(10**6)}"
    kind = rng.choice(["identify", "track", "track", "page"])
    base: dict[str, Any] = {
        "type": kind,
        "userId": user,
        "anonymousId": f"{rng.getrandbits(64):016x}",
        "messageId": f"msg-{i}",
        "timestamp": f"2023-04-26T13:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
        "context": {
            "ip": f"203.0.113.{rng.randrange(255)}",
            "locale": "en-US",
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15",
            "library": {"name": "analytics.js", "version": "2.11.1"},
            "page": {"path": "/pricing", "url": "https://example.com/pricing", "title": "Pricing"},
        },
    }
    if kind == "identify":
        base["traits"] = {
            "email": f"{user}@example.com",
            "name": "Cool Person",
            "plan": rng.choice(["free", "pro", "enterprise"]),
            "logins": rng.randrange(1000),
            "createdAt": "2021-01-05T10:00:00.000Z",
        }
    elif kind == "track":
        base["event"] = rng.choice(["Order Completed", "Product Viewed", "Signed Up"])
        base["properties"] = {"price": round(rng.random() * 100, 2), "sku": f"SKU-{rng.randrange(10**5)}", "qty": 2}
    else:
        base["name"] = "Pricing"
        base["properties"] = {"url": "https://example.com/pricing", "title": "Pricing", "referrer": ""}
    return base


def pipelines_batch(target_bytes: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    size = 12
    while True:
        item = _call(rng, len(items))
        grown = size + len(json.dumps(item, separators=(",", ":"))) + 1
        if grown > target_bytes:
            return {"batch": items}
        size = grown
        items.append(item)


def v2_batch(target_bytes: int, seed: int = 2) -> dict[str, Any]:
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    size = 12
    while True:
        user = f"user-{rng.randrange(10**6)}"
        if rng.random() < 0.5:
            item: dict[str, Any] = {
                "type": "person",
                "action": "identify",
                "identifiers": {"id": user},
                "attributes": {"email": f"{user}@example.com", "plan": "pro", "logins": rng.randrange(100)},
                "timestamp": 1682516539,
            }
        else:
            item = {
                "type": "person",
                "action": "event",
                "identifiers": {"id": user},
                "name": "Order Completed",
                "attributes": {"price": round(rng.random() * 100, 2), "sku": f"SKU-{rng.randrange(10**5)}"},
                "timestamp": 1682516539 + rng.randrange(10**5),
            }
        grown = size + len(json.dumps(item, separators=(",", ":"))) + 1
        if grown > target_bytes:
            return {"batch": items}
        size = grown
        items.append(item)


def single(target_bytes: int, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    body = _call(rng, 0)
    body["type"] = "track"
    body["event"] = "Order Completed"
    body["properties"] = {"note": ""}
    body.pop("traits", None)
    body.pop("name", None)
    pad = target_bytes - len(json.dumps(body, separators=(",", ":")))
    body["properties"]["note"] = "x" * max(pad, 0)
    return body


def median_time(fn: Callable[[], Any], repeat: int, unit: Callable[[], Any] | None = None) -> tuple[float, float]:
    """The median time of ``fn``, and the median ratio of its time to ``unit``'s, each ``unit`` call timed
    just before its ``fn`` call (so that both see the same machine: a noisy machine moves them together)."""
    try:
        fn()  # warm caches (validators are built once per schema)
    except Exception:  # a step this build cannot do yet: no time
        return float("nan"), float("nan")
    times: list[float] = []
    ratios: list[float] = []
    gc.collect()  # as timeit does: no collection of an earlier step's garbage inside this one
    gc.disable()
    try:
        for _ in range(repeat):
            base = 0.0
            if unit is not None:
                start = time.perf_counter()
                unit()
                base = time.perf_counter() - start
            start = time.perf_counter()
            fn()
            took = time.perf_counter() - start
            times.append(took)
            ratios.append(took / base if base else 1.0)
    finally:
        gc.enable()
    return statistics.median(times), statistics.median(ratios)


def naive_validator() -> Callable[[Any, str], bool]:
    """Validate against the published OpenAPI with jsonschema, oneOf read as anyOf."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def any_of(node: Any) -> Any:
        if isinstance(node, dict):
            return {("anyOf" if k == "oneOf" else k): any_of(v) for k, v in node.items()}
        if isinstance(node, list):
            return [any_of(v) for v in node]
        return node

    docs = {}
    for name in ("pipelines", "track"):
        path = ROOT / "tests" / "upstream" / f"customerio-{name}-api-openapi.json"
        docs[name] = any_of(json.loads(path.read_text()))
    registry: Registry[Any] = Registry().with_resources(
        (f"urn:{k}", Resource.from_contents(v, default_specification=DRAFT202012)) for k, v in docs.items()
    )
    validators: dict[str, Any] = {}

    def check(body: Any, ref: str) -> bool:
        if ref not in validators:
            validators[ref] = Draft202012Validator({"$ref": ref}, registry=registry)
        return bool(validators[ref].is_valid(body))

    return check


class _Engine:
    """Switch the registry's verdict engine for a while: ``rust``, ``python`` (compiled) or ``jsonschema``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        reg = _registry()
        self.saved = reg._engine, reg._compiled
        if self.name != "rust":
            reg._engine = None
        if self.name == "jsonschema":
            reg._compiled = None

    def __exit__(self, *exc: object) -> None:
        _registry()._engine, _registry()._compiled = self.saved


#: The verdict engines this machine has, fastest first.
ENGINES = (["rust"] if ENGINE == "rust" else []) + ["python", "jsonschema"]
LABELS = {"rust": "jsonschema-rs", "python": "compiled Python", "jsonschema": "jsonschema only"}


def run_case(name: str, path: str, body: dict[str, Any], targets: list[str], repeat: int) -> None:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    request = Request("POST", path, body)
    events = len(body.get("batch", [body]))

    def loads() -> Any:
        return json.loads(raw)

    def timed(label: str, fn: Callable[[], Any], slow: bool = False) -> None:
        seconds, ratio = median_time(fn, max(3, repeat // 3) if slow else repeat, loads)
        rows.append((label, seconds, ratio))

    rows: list[tuple[str, float, float]] = [("json.loads", median_time(loads, repeat)[0], 1.0)]
    # What any pure-Python pipeline pays at least: serialising the body once (a size check measures
    # serialised bytes), and visiting every value once in Python (the plain-JSON check does only that).
    timed("  reference: json.dumps of the body (compact)", lambda: _COMPACT(body))
    timed("  reference: one Python pass over every value (is_plain)", lambda: is_plain(body))
    for engine in ENGINES:
        with _Engine(engine):
            timed(f"validate ({LABELS[engine]})", lambda: list(iter_errors(request)), engine == "jsonschema")
    with _Engine(ENGINES[0]):
        for target in targets:
            timed(f"convert → {target}", lambda t=target: convert(request, t))  # type: ignore[misc]
    timed("size check", lambda: check_size(request))
    main = targets[0]

    def together() -> None:
        req = Request("POST", path, json.loads(raw))
        check_size(req, raw=raw)
        convert(req, main)  # convert validates its input first

    for engine in ENGINES:
        with _Engine(engine):
            label = f"loads + validate + convert → {main} + size" if engine == ENGINES[0] else "  the same"
            timed(f"{label} ({LABELS[engine]})", together, engine == "jsonschema")
    check = naive_validator()
    ref = {
        "/v1/batch": "urn:pipelines#/components/schemas/batch",
        "/v1/track": "urn:pipelines#/components/schemas/track",
        "/api/v2/batch": "urn:track#/paths/~1api~1v2~1batch/post/requestBody/content/application~1json/schema",
    }[path]
    timed("naive: published OpenAPI + jsonschema", lambda: check(body, ref), slow=True)
    print(f"\n{name}: {len(raw):,} bytes, {events} event(s)")
    for label, seconds, ratio in rows:
        rate = events / seconds if seconds else float("inf")
        print(f"  {label:<64} {seconds * 1000:9.2f} ms  {ratio:8.1f}x  {rate:12,.0f} events/s")


def run_cli(megabytes: int, targets: str) -> None:
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.jsonl"
        with path.open("w") as fh:
            written = i = 0
            while written < megabytes * 1_000_000:
                line = json.dumps(
                    {"method": "POST", "path": "/v1/track", "body": _call(rng, i) | {"type": "track", "event": "x"}}
                )
                fh.write(line + "\n")
                written += len(line) + 1
                i += 1
        for jobs in (1, 2):
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    "/usr/bin/time",
                    "-f",
                    "%M",
                    sys.executable,
                    "-m",
                    "cio_schemas",
                    "convert",
                    "--to",
                    targets,
                    "-j",
                    str(jobs),
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            seconds = time.perf_counter() - start
            peak_kb = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"
            print(f"  cli convert --jobs {jobs}: {seconds:7.2f} s, {i / seconds:10,.0f} lines/s, peak RSS {peak_kb} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--cli", action="store_true", help="also time the CLI on a generated JSON Lines file")
    parser.add_argument("--cli-mb", type=int, default=100, help="size of that file in MB (default 100)")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    run_case("Pipelines batch ~1 MB", "/v1/batch", pipelines_batch(1_000_000), ["track-v2", "track-v1"], repeat)
    run_case("Track v2 batch ~500 KB", "/api/v2/batch", v2_batch(500_000), ["pipelines", "track-v1"], repeat)
    run_case("Pipelines call ~1 KB", "/v1/track", single(1_000), ["track-v2", "track-v1"], repeat * 20)
    run_case("Pipelines call ~60 KB", "/v1/track", single(60_000), ["track-v1", "track-v2"], repeat * 4)
    if args.cli:
        print(f"\nCLI on a {args.cli_mb} MB JSON Lines file")
        run_cli(args.cli_mb, "track-v2")


if __name__ == "__main__":
    main()
