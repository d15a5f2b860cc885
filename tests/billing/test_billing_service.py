"""The billing service on the memory adapter and PostgreSQL: invoices numbered per corporate,
net-30 and the overdue sweep; payouts from a venue's completed and no-show bookings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from travelcore.billing import (
    AdjustPayout,
    BillingService,
    ChangeInvoice,
    ChangePayout,
    CreatePayout,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IssueInvoice,
    PayoutStatus,
    RecordInvoicePayment,
    VenuePayout,
)
from travelcore.booking import (
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
    MarkAttendance,
)
from travelcore.kernel import (
    AlreadyExists,
    InvalidTransition,
    ManualClock,
    Money,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import (
    CorporateId,
    CorporateSubscription,
    CreateSubscription,
    SubscriptionId,
    SubscriptionTier,
)
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase


@pytest.fixture(params=["memory", "postgres"])
def world(request: pytest.FixtureRequest, clock: ManualClock) -> World:
    if request.param == "memory":
        return World(MemoryDatabase(), clock)
    return World(request.getfixturevalue("postgres_database"), clock)


@pytest.fixture
def billing(world: World) -> BillingService:
    return BillingService(world.db, world.clock)  # type: ignore[arg-type]


def subscribe(world: World, corporate: CorporateId) -> CorporateSubscription:
    return world.ledger.create_subscription(
        CreateSubscription(
            tenant_id=world.tenant,
            corporate_id=corporate,
            tier=SubscriptionTier.STANDARD,
            covered_employees=40,
            credits_per_employee=30,
            monthly_cost=Money.of("1000.00", "EUR"),
            start_date=date(2026, 1, 1),
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def issue(
    world: World, billing: BillingService, subscription_id: SubscriptionId, key: str
) -> Invoice:
    return billing.issue_invoice(
        IssueInvoice(
            tenant_id=world.tenant,
            subscription_id=subscription_id,
            day=world.clock.now().date(),
            prefix="ACME",
            tax_rate=Decimal("0.19"),
            extra_lines=(
                InvoiceLine(
                    description="Premium venues", quantity=3, unit_price=Money.of("7.35", "EUR")
                ),
            ),
            idempotency_key=key,
        ),
        actor=admin(world.tenant),
    )


def test_invoices_are_numbered_per_corporate_due_net_30_and_swept_when_overdue(
    world: World, billing: BillingService
) -> None:
    corporate = CorporateId(new_uuid())
    first_sub, second_sub = subscribe(world, corporate), subscribe(world, corporate)
    march = issue(world, billing, first_sub.id, "inv-1")
    assert issue(world, billing, first_sub.id, "inv-1") == march  # a retry: the same invoice
    assert march.number == "ACME-000001"
    # 1000.00 + 3 x 7.35 = 1022.05; 19 % = 194.1895 -> 194.19; total 1216.24
    assert (march.subtotal, march.tax, march.total) == (
        Money.of("1022.05", "EUR"),
        Money.of("194.19", "EUR"),
        Money.of("1216.24", "EUR"),
    )
    assert march.due_on == world.clock.now().date() + timedelta(days=30)
    with pytest.raises(AlreadyExists):
        issue(world, billing, first_sub.id, "inv-again")
    other = issue(world, billing, second_sub.id, "inv-2")
    assert other.number == "ACME-000002"

    invoice_id = march.id
    billing.send_invoice(
        ChangeInvoice(tenant_id=world.tenant, invoice_id=invoice_id, idempotency_key="s"),
        actor=admin(world.tenant),
    )
    world.clock.advance(timedelta(days=30))
    assert billing.mark_overdue(world.tenant, actor=job(world.tenant)) == 0
    world.clock.advance(timedelta(days=1))
    assert billing.mark_overdue(world.tenant, actor=job(world.tenant)) == 1
    assert billing.mark_overdue(world.tenant, actor=job(world.tenant)) == 0
    assert (
        billing.invoice(world.tenant, invoice_id, actor=admin(world.tenant)).status
        is InvoiceStatus.OVERDUE
    )
    with pytest.raises(ValidationFailed):
        billing.record_payment(
            RecordInvoicePayment(
                tenant_id=world.tenant,
                invoice_id=invoice_id,
                amount=Money.of("1216.23", "EUR"),
                reference="wire",
                idempotency_key="p0",
            ),
            actor=admin(world.tenant),
        )
    paid = billing.record_payment(
        RecordInvoicePayment(
            tenant_id=world.tenant,
            invoice_id=invoice_id,
            amount=Money.of("1216.24", "EUR"),
            reference="wire",
            idempotency_key="p1",
        ),
        actor=admin(world.tenant),
    )
    assert paid.status is InvoiceStatus.PAID
    with pytest.raises(InvalidTransition):
        billing.cancel_invoice(
            ChangeInvoice(tenant_id=world.tenant, invoice_id=invoice_id, idempotency_key="c"),
            actor=admin(world.tenant),
        )


def test_a_payout_counts_completed_and_no_show_bookings_of_the_period(
    world: World, billing: BillingService
) -> None:
    session_id = world.session(starts_in=timedelta(days=5), credits=5)
    venue_id = world.get_session(session_id).venue_id
    bookings = []
    for _ in range(3):
        parent, [child] = world.family(credits=20)
        receipt = world.bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session_id,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        world.bookings.confirm(
            ConfirmBooking(
                tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key=world.key()
            ),
            actor=admin(world.tenant),
        )
        bookings.append(receipt.booking_id)
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=bookings[2],
            reason=CancellationReason.SCHEDULE_CONFLICT,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.clock.advance(timedelta(days=5, hours=1))
    for booking_id, attended in ((bookings[0], True), (bookings[1], False)):
        world.bookings.mark_attendance(
            MarkAttendance(
                tenant_id=world.tenant,
                booking_id=booking_id,
                attended=attended,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    command = CreatePayout(
        tenant_id=world.tenant,
        venue_id=venue_id,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        credit_value=Money.of("2.50", "EUR"),
        idempotency_key="payout",
    )
    payout = billing.create_payout(command, actor=admin(command.tenant_id))
    # 2 bookings x 5 credits x 2.50 = 25.00; 17.5 % = 4.375 -> 4.38; net 20.62
    assert (payout.bookings, payout.attendees, payout.credits) == (2, 1, 10)
    assert (payout.gross, payout.fee, payout.net) == (
        Money.of("25.00", "EUR"),
        Money.of("4.38", "EUR"),
        Money.of("20.62", "EUR"),
    )
    assert billing.create_payout(command, actor=admin(command.tenant_id)) == payout
    with pytest.raises(AlreadyExists):
        billing.create_payout(
            CreatePayout(
                tenant_id=world.tenant,
                venue_id=venue_id,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                credit_value=Money.of("3", "EUR"),
                idempotency_key="payout-2",
            ),
            actor=admin(world.tenant),
        )

    def change(target: str, key: str, **extra: str) -> VenuePayout:
        return billing.change_payout(
            ChangePayout(
                tenant_id=world.tenant,
                payout_id=payout.id,
                target=target,
                idempotency_key=key,
                **extra,
            ),
            actor=admin(world.tenant),
        )

    adjusted = billing.adjust_payout(
        AdjustPayout(
            tenant_id=world.tenant,
            payout_id=payout.id,
            amount=Money.of("-5.00", "EUR"),
            notes="damaged equipment",
            idempotency_key="adj",
        ),
        actor=admin(world.tenant),
    )
    assert adjusted.payable == Money.of("15.62", "EUR")
    change("processing", "c1")
    assert change("failed", "c2", reason="bank refused").status is PayoutStatus.FAILED
    assert change("pending", "c3").retry_count == 1
    change("processing", "c4")
    done = change("paid", "c5", reference="tr_42")
    assert (done.status, done.payment_reference) == (PayoutStatus.PAID, "tr_42")
    with pytest.raises(InvalidTransition):
        change("processing", "c6")
    assert billing.payout(world.tenant, payout.id, actor=admin(world.tenant)) == done


def test_payout_commands_refuse_bad_input_before_any_write() -> None:
    with pytest.raises(ValidationFailed) as refused:
        CreatePayout(
            tenant_id=new_uuid(),  # type: ignore[arg-type]
            venue_id=new_uuid(),  # type: ignore[arg-type]
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            credit_value=Money(Decimal("2.505"), "EUR"),
            idempotency_key="k",
        )
    assert (refused.value.field, refused.value.rule) == ("credit_value", "minor_units")
    with pytest.raises(ValidationFailed):
        CreatePayout(
            tenant_id=new_uuid(),  # type: ignore[arg-type]
            venue_id=new_uuid(),  # type: ignore[arg-type]
            period_start=date(2026, 4, 1),
            period_end=date(2026, 4, 1),
            credit_value=Money.of("2", "EUR"),
            idempotency_key="k",
        )
