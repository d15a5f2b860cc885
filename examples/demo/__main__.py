"""Run every demo scenario: ``python -m examples.demo``."""

from __future__ import annotations

from examples.demo import business_trip, credits_month


def main() -> None:
    credits_month.run()
    business_trip.run()


if __name__ == "__main__":
    main()
