"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def test_readme_python_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README shows at least one Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    commands = re.search(r"```sh\n(.*?)```", README.read_text(), re.S)
    assert commands is not None
    demo, tests = commands.group(1).strip().splitlines()
    assert demo.endswith("nox -s demo")
    assert tests.endswith("nox -s lint mypy tests")
    ci = (README.parent / ".ci" / "run").read_text()
    assert tests in ci
