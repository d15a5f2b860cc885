"""The credits walk-through in examples/demo runs and tells a consistent story."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from examples.demo import credits_month

from travelcore.ledger import EntryType


def test_a_month_of_credits(capsys: pytest.CaptureFixture[str]) -> None:
    view = credits_month.run()
    out = capsys.readouterr().out
    assert [e.entry_type for e in view.entries] == [
        EntryType.ALLOCATION,
        EntryType.BOOKING_DEBIT,
        EntryType.BOOKING_DEBIT,
        EntryType.BOOKING_DEBIT,
        EntryType.REFUND_CREDIT,
        EntryType.FORFEIT,
        EntryType.ADJUSTMENT,
        EntryType.EXPIRY,
    ]
    assert (view.allocated, view.used, view.refunded, view.forfeited, view.expired) == (
        60,
        30,
        10,
        8,
        45,
    )
    assert view.balance == view.available == 0
    assert view.is_closed
    assert "warning: 45 credits expire at 01 Apr 00:00" in out
    assert "expiry" in out


def test_the_docs_show_what_the_demo_prints(capsys: pytest.CaptureFixture[str]) -> None:
    credits_month.run()
    printed = {line.strip() for line in capsys.readouterr().out.splitlines()}
    doc = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text()
    figures = re.search(r"## A month in figures.*?```text\n(.*?)```", doc, re.DOTALL)
    assert figures is not None
    for line in figures.group(1).splitlines():
        assert line.strip() in printed
