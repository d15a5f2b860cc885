"""Hypothesis strategies shared by the suite."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from travelcore.kernel import MINOR_UNITS, Money

currencies = st.sampled_from(sorted(MINOR_UNITS))


def money(currency: str | None = None, max_abs: int = 10**9) -> st.SearchStrategy[Money]:
    """Rounded Money amounts in ``currency`` (or any currency)."""
    currency_strategy = st.just(currency) if currency else currencies
    return currency_strategy.flatmap(
        lambda cur: st.decimals(
            min_value=-max_abs,
            max_value=max_abs,
            places=MINOR_UNITS[cur],
            allow_nan=False,
            allow_infinity=False,
        ).map(lambda amount: Money(Decimal(amount), cur))
    )
