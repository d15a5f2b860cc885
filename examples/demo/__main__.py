"""Run every demo scenario: ``python -m examples.demo``."""

from __future__ import annotations

from examples.demo import credits_month


def main() -> None:
    credits_month.run()


if __name__ == "__main__":
    main()
