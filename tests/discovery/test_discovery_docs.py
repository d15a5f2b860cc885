"""The Python examples in docs/discovery.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "discovery.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) == 5


@pytest.mark.parametrize("source", EXAMPLES)
def test_docs_example_runs(source: str) -> None:
    exec(compile(source, str(DOC), "exec"), {})
