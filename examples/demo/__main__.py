"""Run every demo scenario: ``python -m examples.demo [--backend embedded|memory]``."""

from __future__ import annotations

import argparse

from examples.demo import business_trip, credits_month, family_booking, family_discovery
from examples.demo.backends import BACKENDS, backend


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A guided walk through travelcore.")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="embedded",
        help="embedded PostgreSQL (default) or the in-memory reference adapters",
    )
    args = parser.parse_args(argv)
    with backend(args.backend) as open_database:
        credits_month.run(open_database)
        family_booking.run(open_database)
        business_trip.run(open_database)
        family_discovery.run(open_database)


if __name__ == "__main__":
    main()
