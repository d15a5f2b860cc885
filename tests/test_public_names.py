"""What a team copies — the example apps, the demos and the README and docs examples — uses
the public API only: no import of ``travelcore.testing`` from the examples or the README,
and none of its scene helpers (``actors``, ``world``, ``builders``) in the docs, whose
examples import the test package only to show its contract suites and state machines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_docs import PAGES, python_blocks

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))
HELPERS = ("travelcore.testing.actors", "travelcore.testing.world", "travelcore.testing.builders")


def imported(source: str) -> set[str]:
    """Every module ``source`` imports (``from m import name`` also counts as ``m.name``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_scan_sees_a_test_helper() -> None:
    assert "travelcore.testing.actors" in imported("from travelcore.testing import actors")
    assert "travelcore.testing.world" in imported("from travelcore.testing.world import World")


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(ROOT)) for p in EXAMPLES])
def test_the_examples_import_no_test_package(path: Path) -> None:
    testing = {m for m in imported(path.read_text()) if m.startswith("travelcore.testing")}
    assert not testing, f"{path.name} imports {sorted(testing)}"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_docs_examples_use_no_test_helper(page: Path) -> None:
    modules = set().union(*(imported(source) for _, source, _ in python_blocks(page)))
    if page.name == "README.md":
        assert not {m for m in modules if m.startswith("travelcore.testing")}
    assert not {m for m in modules if m.startswith(HELPERS)}
