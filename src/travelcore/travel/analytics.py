"""Spend analytics over confirmed trips: per period and currency, split per category.

Currencies are never added together: every line is one (period, currency) pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

import attrs

from travelcore.kernel import Money
from travelcore.travel.model import Category, Trip, TripStatus


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def label(self, day: date) -> str:
        if self is Period.MONTH:
            return f"{day.year}-{day.month:02d}"
        if self is Period.QUARTER:
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        return str(day.year)


@attrs.frozen(kw_only=True)
class SpendLine:
    period: str
    currency: str
    total: Money
    by_category: dict[Category, Money]
    trips: int


@attrs.frozen(kw_only=True)
class SpendReport:
    lines: tuple[SpendLine, ...]
    top_destinations: tuple[tuple[str, int], ...]
    policy_flags: dict[str, int]


def spend_report(trips: Iterable[Trip], period: Period, top: int = 5) -> SpendReport:
    """Spend of the confirmed ``trips``, bucketed by departure date into ``period``."""
    buckets: dict[tuple[str, str], list[Trip]] = {}
    destinations: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    for trip in trips:
        flags.update(trip.policy_flags)
        if trip.status is not TripStatus.CONFIRMED:
            continue
        destinations.update(set(trip.destinations))
        buckets.setdefault((period.label(trip.departs_on), trip.currency), []).append(trip)
    lines = []
    for (label, currency), group in sorted(buckets.items()):
        by_category = {c: Money.of(0, currency) for c in Category}
        for trip in group:
            for category, amount in trip.by_category().items():
                by_category[category] = by_category[category] + amount
        grand = Money.of(0, currency)
        for amount in by_category.values():
            grand = grand + amount
        lines.append(
            SpendLine(
                period=label,
                currency=currency,
                total=grand,
                by_category=by_category,
                trips=len(group),
            )
        )
    ranked = sorted(destinations.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return SpendReport(lines=tuple(lines), top_destinations=tuple(ranked), policy_flags=dict(flags))
