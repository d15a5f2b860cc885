"""Invoices and venue payouts: exact to the minor unit in every currency (JPY 0 decimals, USD
2, KWD 3 and the rest), gross = fee + net, total = sum of lines + tax, and their workflows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import currencies
from travelcore.billing import (
    INVOICE_MOVES,
    PAYOUT_MOVES,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PayoutBooking,
    PayoutStatus,
    VenuePayout,
)
from travelcore.booking import BookingStatus
from travelcore.catalog import VenueId
from travelcore.kernel import (
    MINOR_UNITS,
    InvalidTransition,
    Money,
    TenantId,
    ValidationFailed,
    new_uuid,
    total,
)
from travelcore.ledger import BillingPeriod, CorporateId, SubscriptionId

NOW = datetime(2026, 4, 1, 8, tzinfo=UTC)
MARCH = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))
TENANT = TenantId(new_uuid())
# JPY, USD and KWD always in the mix, and any other ISO-4217 currency
some_currencies = st.one_of(st.sampled_from(["JPY", "USD", "KWD"]), currencies)
rates = st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)


def amounts(currency: str, high: int = 10**6) -> st.SearchStrategy[Money]:
    places = MINOR_UNITS[currency]
    return st.decimals(min_value=0, max_value=high, places=places).map(
        lambda value: Money(value, currency)
    )


@st.composite
def payout_inputs(draw: st.DrawFn) -> tuple[Money, list[PayoutBooking], Decimal]:
    currency = draw(some_currencies)
    credit_value = draw(amounts(currency, 1000))
    bookings = draw(
        st.lists(
            st.builds(
                PayoutBooking,
                status=st.sampled_from(list(BookingStatus)),
                credits_charged=st.integers(1, 40),
                credits_refunded=st.integers(0, 40),
                attendees=st.integers(1, 3),
            ),
            max_size=30,
        )
    )
    return credit_value, bookings, draw(rates)


def payout(credit_value: Money, bookings: list[PayoutBooking], rate: Decimal) -> VenuePayout:
    return VenuePayout.compute(
        TENANT,
        venue_id=VenueId(new_uuid()),
        period_start=MARCH.start,
        period_end=MARCH.end,
        bookings=bookings,
        credit_value=credit_value,
        fee_rate=rate,
        now=NOW,
    )


@given(payout_inputs())
def test_gross_is_fee_plus_net_to_the_minor_unit(
    inputs: tuple[Money, list[PayoutBooking], Decimal],
) -> None:
    credit_value, bookings, rate = inputs
    done = payout(credit_value, bookings, rate)
    counted = [b for b in bookings if b.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)]
    assert done.credits == sum(max(b.credits_charged - b.credits_refunded, 0) for b in counted)
    assert done.bookings == len(counted)
    assert done.gross == credit_value * done.credits
    assert done.gross == done.fee + done.net
    assert done.fee.amount == (done.gross.amount * rate).quantize(
        Decimal(1).scaleb(-MINOR_UNITS[credit_value.currency]), rounding=ROUND_HALF_UP
    )
    for figure in (done.gross, done.fee, done.net, done.payable):
        assert figure.exact() is figure
        assert not figure.is_negative()


@given(payout_inputs(), st.data())
def test_adjustments_change_what_is_paid_never_the_split(
    inputs: tuple[Money, list[PayoutBooking], Decimal], data: st.DataObject
) -> None:
    done = payout(*inputs)
    clawback = data.draw(amounts(done.currency, 10**4))
    if clawback > done.net:
        with pytest.raises(ValidationFailed):
            done.adjusted(-clawback, "refund dispute", NOW)
        return
    adjusted = done.adjusted(-clawback, "refund dispute", NOW)
    assert adjusted.payable == done.net - clawback
    assert adjusted.gross == adjusted.fee + adjusted.net == done.gross


def test_the_default_platform_fee_rounds_half_up() -> None:
    # 3 credits x 1.00 USD = 3.00; 17.5 % = 0.525 -> 0.53; net 2.47
    done = payout(
        Money.of("1", "USD"),
        [PayoutBooking(status=BookingStatus.COMPLETED, credits_charged=3)],
        Decimal("0.175"),
    )
    assert (done.gross, done.fee, done.net) == (
        Money.of("3.00", "USD"),
        Money.of("0.53", "USD"),
        Money.of("2.47", "USD"),
    )
    yen = payout(
        Money.of("150", "JPY"),
        [PayoutBooking(status=BookingStatus.NO_SHOW, credits_charged=1)],
        Decimal("0.175"),
    )
    assert (yen.fee, yen.net) == (Money.of("26", "JPY"), Money.of("124", "JPY"))  # 26.25 -> 26


def test_a_credit_value_finer_than_the_currency_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        payout(Money(Decimal("0.5"), "JPY"), [], Decimal("0.175"))
    assert (refused.value.field, refused.value.rule) == ("credit_value", "minor_units")


@pytest.mark.parametrize("start", list(PayoutStatus))
@pytest.mark.parametrize("target", list(PayoutStatus))
def test_payout_workflow(start: PayoutStatus, target: PayoutStatus) -> None:
    done = attrs.evolve(
        payout(
            Money.of("2", "EUR"),
            [PayoutBooking(status=BookingStatus.COMPLETED, credits_charged=5)],
            Decimal("0.175"),
        ),
        status=start,
    )
    move = {
        PayoutStatus.PROCESSING: lambda: done.processing(NOW),
        PayoutStatus.PAID: lambda: done.paid("tr_1", NOW),
        PayoutStatus.FAILED: lambda: done.failed("bank refused", NOW),
        PayoutStatus.ON_HOLD: lambda: done.held("compliance check", NOW),
        PayoutStatus.PENDING: lambda: done.retried(NOW),
    }[target]
    if target in PAYOUT_MOVES[start]:
        moved = move()
        assert (moved.status, moved.version) == (target, done.version)  # saves bump versions
        if start is PayoutStatus.FAILED:
            assert moved.retry_count == 1
    else:
        with pytest.raises(InvalidTransition):
            move()


# -- invoices ------------------------------------------------------------------------------


@st.composite
def invoice_inputs(draw: st.DrawFn) -> tuple[list[InvoiceLine], Decimal]:
    currency = draw(some_currencies)
    lines = draw(
        st.lists(
            st.builds(
                InvoiceLine,
                description=st.sampled_from(["Seats", "Premium venues", "Onboarding"]),
                quantity=st.integers(1, 500),
                unit_price=amounts(currency, 10**4),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return lines, draw(rates)


def draft(lines: list[InvoiceLine], rate: Decimal, sequence: int = 1) -> Invoice:
    return Invoice.draft(
        TENANT,
        corporate_id=CorporateId(new_uuid()),
        subscription_id=SubscriptionId(new_uuid()),
        sequence=sequence,
        prefix="ACME",
        period=MARCH,
        lines=lines,
        tax_rate=rate,
        issued_on=MARCH.end,
        terms=timedelta(days=30),
        now=NOW,
    )


@given(invoice_inputs())
def test_total_is_the_sum_of_the_lines_plus_tax(inputs: tuple[list[InvoiceLine], Decimal]) -> None:
    lines, rate = inputs
    invoice = draft(lines, rate)
    currency = invoice.currency
    assert invoice.subtotal == total((line.unit_price * line.quantity for line in lines), currency)
    assert invoice.total == invoice.subtotal + invoice.tax
    assert invoice.tax.amount == (invoice.subtotal.amount * rate).quantize(
        Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding=ROUND_HALF_UP
    )
    for figure in (invoice.subtotal, invoice.tax, invoice.total):
        assert figure.exact() is figure
    assert invoice.due_on == date(2026, 5, 1)  # net-30 from April 1st
    assert invoice.number == "ACME-000001"


def test_lines_must_share_one_currency_and_be_exact() -> None:
    euro = InvoiceLine(description="Seats", quantity=2, unit_price=Money.of("10", "EUR"))
    dollar = InvoiceLine(description="Seats", quantity=2, unit_price=Money.of("10", "USD"))
    with pytest.raises(ValidationFailed):
        draft([euro, dollar], Decimal("0.2"))
    with pytest.raises(ValidationFailed) as refused:
        InvoiceLine(description="Seats", quantity=1, unit_price=Money(Decimal("0.001"), "EUR"))
    assert (refused.value.field, refused.value.rule) == ("unit_price", "minor_units")
    with pytest.raises(ValidationFailed):
        draft([], Decimal("0.2"))


def test_invoice_workflow_and_overdue() -> None:
    invoice = draft(
        [InvoiceLine(description="Seats", quantity=40, unit_price=Money.of("25", "EUR"))],
        Decimal("0.19"),
    )
    assert invoice.total == Money.of("1190.00", "EUR")
    assert not invoice.is_overdue(date(2026, 6, 1))  # a draft is never overdue
    sent = invoice.sent(NOW)
    assert not sent.is_overdue(sent.due_on)
    assert sent.is_overdue(sent.due_on + timedelta(days=1))
    late = sent.overdue(NOW)
    with pytest.raises(ValidationFailed):
        late.paid(Money.of("1000", "EUR"), "wire-1", NOW)
    paid = late.paid(Money.of("1190", "EUR"), "wire-1", NOW)
    assert paid.status is InvoiceStatus.PAID
    for target in InvoiceStatus:
        assert target not in INVOICE_MOVES[InvoiceStatus.PAID]
    with pytest.raises(InvalidTransition):
        paid.cancelled(NOW)
    with pytest.raises(InvalidTransition):
        invoice.paid(invoice.total, "x", NOW)  # a draft is sent first
    assert invoice.cancelled(NOW).status is InvoiceStatus.CANCELLED
