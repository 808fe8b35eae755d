"""The README's quick start runs as written (doctest over its ```python blocks)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_quickstart_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README has a python quick start"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README block {i}", "README.md", 0)
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 5


def test_test_helper_example_runs() -> None:
    """The README's test examples (helpers and strategies) run, with a stand-in for the user's handler."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if ">>>" not in b]
    assert len(blocks) >= 2, "the README shows the test helpers and the strategies"
    for block in blocks:
        namespace: dict[str, object] = {"my_handler": lambda payload: {"method", "path"} <= set(payload)}
        exec(compile(block, "README.md", "exec"), namespace)
        tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
        assert tests
        for test in tests:
            test()


def test_set_up_commands_are_the_ones_ci_runs() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_strategies_example_passes_in_a_fresh_project(tmp_path: Path) -> None:
    """Outside this suite (no conftest relaxing health checks), with Hypothesis' caches not built yet."""
    import os
    import subprocess
    import sys

    block = next(b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "strategies as cio" in b)
    handler = "def my_handler(payload):\n    return {'method', 'path'} <= set(payload)\n\n"
    (tmp_path / "test_readme_example.py").write_text(handler + block, encoding="utf-8")
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "fresh-hypothesis")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (tmp_path / "fresh-hypothesis").is_dir()  # the caches really were built in this run
