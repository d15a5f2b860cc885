"""The family-discovery demo runs and tells the story."""

from __future__ import annotations

import pytest
from examples.demo import family_discovery


def test_family_discovery_demo(capsys: pytest.CaptureFixture[str]) -> None:
    family_discovery.run()
    out = capsys.readouterr().out
    assert "  Leo (10) + Mia (7): #1 Soccer Skills" in out
    assert out.count("  Mia (7): #") == 2
    assert out.count("  Leo (10): #") == 2
    assert "'age': 7, 'setting': 'outdoor'" in out
    assert "'excluded_tags': ['competitive']" in out
    assert "  -> Forest Explorers at Greenway Park" in out
    assert "Soccer Skills at" not in out
