"""A month of credits for one family."""

from __future__ import annotations


def run() -> None:
    print("== A month of credits ==")
