"""Smoke test for an installed wheel, run from outside the source tree.

Usage: python smoke_wheel.py REPO_DIR   (REPO_DIR only supplies the example files)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cio_schemas
from cio_schemas import Request, is_valid, schema_names

repo = Path(sys.argv[1])
package_dir = Path(cio_schemas.__file__).resolve().parent
assert repo.resolve() not in package_dir.parents, f"imported from the source tree: {package_dir}"

shipped = sorted(p.relative_to(repo / "schemas").with_suffix("").as_posix() for p in (repo / "schemas").rglob("*.json"))
assert schema_names() == shipped, set(shipped) ^ set(schema_names())
assert (package_dir / "py.typed").is_file()

# The console script installed next to this interpreter, never another one found on PATH.
script = Path(sys.executable).parent / ("cio-schemas.exe" if sys.platform == "win32" else "cio-schemas")
cli = [str(script)] if script.is_file() else [sys.executable, "-m", "cio_schemas"]

listing = subprocess.run([*cli, "schemas", "--format", "json"], capture_output=True, text=True, check=True)
assert [row["schema"] for row in json.loads(listing.stdout)] == shipped

examples = sorted(str(p) for p in (repo / "examples").glob("*.jsonl"))
assert examples, "no bundled examples"
run = subprocess.run([*cli, "validate", *examples], capture_output=True, text=True)
assert run.returncode == 0, run.stdout + run.stderr

assert is_valid(Request("POST", "/v1/identify", {"userId": "42", "traits": {"email": "a@example.com"}}))

# hypothesis comes with the wheel: the strategies work in a fresh install.
from hypothesis import find  # noqa: E402

from cio_schemas import strategies  # noqa: E402

generated = find(strategies.requests(api="track-v2"), lambda r: True)
assert is_valid(generated), generated
print(f"{len(shipped)} schemas shipped; {len(examples)} example files valid")
