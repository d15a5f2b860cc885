"""Run every demo scenario: ``python -m examples.demo``."""

from __future__ import annotations

from examples.demo import credits_month, family_booking


def main() -> None:
    credits_month.run()
    family_booking.run()


if __name__ == "__main__":
    main()
