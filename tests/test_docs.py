"""Every Python example in README.md and docs/*.md runs, so the docs cannot drift from the code.

A fenced block whose info string is ``python`` runs; the blocks of one page run in order in
one namespace, so a page's later examples may use its earlier ones. ``python notest`` marks
a block that is shown but not run (it needs credentials or a web framework); every such
block is listed in ``NOT_RUN``. docs/postgres.md's examples receive ``superuser_url``, the
URL of the test suite's PostgreSQL server, as that page says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
NOT_RUN = {"travel.md": 1}  # the Stripe webhook endpoint (live keys, a web request)
NEEDS_SERVER = {"postgres.md"}


def python_blocks(page: Path) -> list[tuple[int, str, bool]]:
    """``(first line, source, runs)`` of each Python block on ``page``."""
    text = page.read_text()
    blocks = []
    for fence in FENCE.finditer(text):
        info = fence["info"].split()
        if info[:1] != ["python"]:
            continue
        assert info[1:] in ([], ["notest"]), f"{page.name}: unknown marker {fence['info']!r}"
        body = "".join(
            line.removeprefix(fence["indent"]) for line in fence["body"].splitlines(True)
        )
        first = text.count("\n", 0, fence.start("body")) + 1
        blocks.append((first, body, info[1:] != ["notest"]))
    return blocks


def run_page(page: Path, namespace: dict[str, object]) -> int:
    """Run the page's Python blocks in order in ``namespace``; returns how many ran."""
    ran = 0
    for first, source, runs in python_blocks(page):
        if runs:
            # Leading newlines keep tracebacks pointing at the page's own line numbers.
            exec(compile("\n" * (first - 1) + source, str(page), "exec"), namespace)
            ran += 1
    return ran


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_python_examples_run(page: Path, request: pytest.FixtureRequest) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    if page.name in NEEDS_SERVER:
        namespace["superuser_url"] = request.getfixturevalue("postgres_superuser_url")
    blocks = python_blocks(page)
    assert run_page(page, namespace) == sum(runs for _, _, runs in blocks)


def test_blocks_are_run_except_the_listed_few() -> None:
    skipped = {page.name: sum(not runs for _, _, runs in python_blocks(page)) for page in PAGES}
    assert {name: n for name, n in skipped.items() if n} == NOT_RUN
    total = sum(len(python_blocks(page)) for page in PAGES)
    assert total - sum(NOT_RUN.values()) >= 19, "no example fell out of the run (a fence typo?)"


def test_the_readme_opens_with_the_demo_and_the_test_suite() -> None:
    readme = (ROOT / "README.md").read_text()
    first = FENCE.search(readme)
    assert first is not None
    assert first["info"] == "sh"
    assert readme.index(first[0]) == readme.index("```")
    demo, tests = first["body"].strip().splitlines()
    assert demo == "python3 -m pip install -q nox && python3 -m nox -s demo"
    assert tests == "python3 -m pip install -q nox && python3 -m nox -s lint mypy tests docs"
    assert tests in (ROOT / ".ci" / "run").read_text()
