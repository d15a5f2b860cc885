"""Contracts for the billing repositories: the shared repository rules for invoices and
payouts, and the queries and unique keys billing relies on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from travelcore.billing import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PayoutBooking,
    PayoutStatus,
    VenuePayout,
)
from travelcore.booking import BookingStatus
from travelcore.catalog import VenueId
from travelcore.kernel import AlreadyExists, Money, TenantId, new_uuid
from travelcore.ledger import BillingPeriod, CorporateId, SubscriptionId
from travelcore.testing.repositories import RepositoryContract

T0 = datetime(2026, 4, 1, 8, tzinfo=UTC)
MARCH = BillingPeriod(date(2026, 3, 1), date(2026, 4, 1))


def make_invoice(
    tenant: TenantId,
    *,
    corporate: CorporateId | None = None,
    subscription: SubscriptionId | None = None,
    sequence: int = 1,
    period: BillingPeriod = MARCH,
    issued_on: date = MARCH.end,
) -> Invoice:
    return Invoice.draft(
        tenant,
        corporate_id=corporate or CorporateId(new_uuid()),
        subscription_id=subscription or SubscriptionId(new_uuid()),
        sequence=sequence,
        prefix="ACME",
        period=period,
        lines=(
            InvoiceLine(description="Seats", quantity=40, unit_price=Money.of("12.50", "KWD")),
            InvoiceLine(description="Onboarding", quantity=1, unit_price=Money.of("99", "KWD")),
        ),
        tax_rate=Decimal("0.05"),
        issued_on=issued_on,
        terms=timedelta(days=30),
        now=T0,
        notes="thank you",
    )


def make_payout(
    tenant: TenantId, *, venue: VenueId | None = None, period: BillingPeriod = MARCH
) -> VenuePayout:
    return VenuePayout.compute(
        tenant,
        venue_id=venue or VenueId(new_uuid()),
        period_start=period.start,
        period_end=period.end,
        bookings=[
            PayoutBooking(status=BookingStatus.COMPLETED, credits_charged=5),
            PayoutBooking(status=BookingStatus.NO_SHOW, credits_charged=3, credits_refunded=1),
        ],
        credit_value=Money.of("333", "JPY"),
        fee_rate=Decimal("0.175"),
        now=T0,
    )


class InvoiceRepositoryContract(RepositoryContract):
    repository = "invoices"

    def build(self, uow: Any) -> Invoice:
        return make_invoice(uow.tenant_id)

    def change(self, entity: Invoice) -> Invoice:
        return entity.sent(T0)


class PayoutRepositoryContract(RepositoryContract):
    repository = "payouts"

    def build(self, uow: Any) -> VenuePayout:
        return make_payout(uow.tenant_id)

    def change(self, entity: VenuePayout) -> VenuePayout:
        return entity.adjusted(Money.of("-100", "JPY"), "dispute", T0).processing(T0)


class BillingRepositoriesContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> unit of work``
    with ``invoices`` and ``payouts``."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_one_invoice_per_subscription_period_and_per_number(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        corporate, subscription = CorporateId(new_uuid()), SubscriptionId(new_uuid())
        first = make_invoice(tenant, corporate=corporate, subscription=subscription)
        with uow_factory(tenant, None) as uow:
            assert uow.invoices.last_sequence(corporate) == 0
            uow.invoices.add(first)
            uow.commit()
        april = BillingPeriod(date(2026, 4, 1), date(2026, 5, 1))
        same_period = make_invoice(tenant, subscription=subscription, sequence=2)
        same_number = make_invoice(tenant, corporate=corporate, period=april)
        for clash in (same_period, same_number):
            with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
                uow.invoices.add(clash)
        second = make_invoice(
            tenant, corporate=corporate, subscription=subscription, sequence=2, period=april
        )
        with uow_factory(tenant, None) as uow:
            uow.invoices.add(second)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.invoices.last_sequence(corporate) == 2
            assert uow.invoices.last_sequence(CorporateId(new_uuid())) == 0
            assert uow.invoices.for_period(subscription, april.start) == second
            assert uow.invoices.for_period(subscription, date(2026, 6, 1)) is None
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.invoices.last_sequence(corporate) == 0
            assert uow.invoices.for_period(subscription, MARCH.start) is None

    def test_sent_invoices_due_before_a_day(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        early = make_invoice(tenant, issued_on=date(2026, 4, 1)).sent(T0)
        late = make_invoice(tenant, issued_on=date(2026, 4, 10)).sent(T0)
        draft = make_invoice(tenant, issued_on=date(2026, 4, 1))
        with uow_factory(tenant, None) as uow:
            for invoice in (late, draft, early):
                uow.invoices.add(invoice)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.invoices.sent_due_before(date(2026, 5, 1)) == []  # due May 1st
            assert [i.id for i in uow.invoices.sent_due_before(date(2026, 5, 2))] == [early.id]
            due = uow.invoices.sent_due_before(date(2026, 6, 1))
            assert [i.id for i in due] == [early.id, late.id]
            assert {i.status for i in due} == {InvoiceStatus.SENT}

    def test_one_payout_per_venue_and_period(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        venue = VenueId(new_uuid())
        march = make_payout(tenant, venue=venue)
        with uow_factory(tenant, None) as uow:
            uow.payouts.add(march)
            uow.commit()
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.payouts.add(make_payout(tenant, venue=venue))
        april = make_payout(
            tenant, venue=venue, period=BillingPeriod(date(2026, 4, 1), date(2026, 5, 1))
        )
        with uow_factory(tenant, None) as uow:
            uow.payouts.add(april)
            processing = uow.payouts.get(march.id).processing(T0)
            uow.payouts.save(processing)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.payouts.for_period(venue, MARCH.start) == processing
            assert [p.id for p in uow.payouts.with_status(PayoutStatus.PENDING)] == [april.id]
            assert [p.id for p in uow.payouts.with_status(PayoutStatus.PROCESSING)] == [march.id]
            stored = uow.payouts.get(march.id)
            assert stored.gross == stored.fee + stored.net == Money.of("2331", "JPY")
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.payouts.for_period(venue, MARCH.start) is None
            assert uow.payouts.with_status(PayoutStatus.PENDING) == []
