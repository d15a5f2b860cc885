"""A month of credits for one family.

An employer's subscription funds a parent's March credits; the parent books activities
(a hold captured at checkout, a direct debit), one session is cancelled and refunded, a
no-show is forfeited, an admin corrects the balance, the expiry warning goes out a week
before the period ends, and what is left expires on 1 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from examples.demo.backends import OpenApp
from travelcore.kernel import (
    Actor,
    DomainEvent,
    EventBus,
    ManualClock,
    Money,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.ledger import (
    Adjust,
    AllocatePeriodCredits,
    BalanceView,
    CaptureHold,
    CorporateId,
    CreateSubscription,
    Debit,
    ExpiryWarningDue,
    Forfeit,
    PlaceHold,
    Refund,
    SubscriptionTier,
    VoidHold,
)
from travelcore_adapters import bootstrap


def _figures(view: BalanceView) -> str:
    return (
        f"balance {view.balance}, held {view.held}, available {view.available} | "
        f"allocated {view.allocated}, used {view.used}, refunded {view.refunded}, "
        f"forfeited {view.forfeited}, expired {view.expired}"
    )


def run(open_app: OpenApp = bootstrap.memory) -> BalanceView:
    print("== A month of credits ==")
    bus = EventBus()
    warnings: list[DomainEvent] = []
    bus.subscribe(lambda e: warnings.append(e) if isinstance(e, ExpiryWarningDue) else None)
    clock = ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    ledger = open_app(clock=clock, events=bus).ledger
    tenant, parent = TenantId(new_uuid()), UserId(new_uuid())
    # the platform's operator, allowed everything in the tenant
    staff = Actor.platform_admin(tenant, UserId(new_uuid()))

    def step(when: datetime, what: str) -> None:
        clock.set(when)
        print(f"{when:%a %d %b %H:%M}  {what}")

    step(clock.now(), "Acme subscribes: premium, 25 employees x 60 credits, cycle day 1")
    subscription = ledger.create_subscription(
        CreateSubscription(
            tenant_id=tenant,
            corporate_id=CorporateId(new_uuid()),
            tier=SubscriptionTier.PREMIUM,
            covered_employees=25,
            credits_per_employee=60,
            monthly_cost=Money.of("1500.00", "EUR"),
            start_date=date(2026, 3, 1),
            idempotency_key="acme-subscription",
        ),
        actor=staff,
    )
    allocation = AllocatePeriodCredits(
        tenant_id=tenant,
        subscription_id=subscription.id,
        user_id=parent,
        day=clock.now().date(),
        idempotency_key="acme-2026-03-parent",
    )
    balance_id = ledger.allocate_period_credits(allocation, actor=staff).balance_id
    ledger.allocate_period_credits(allocation, actor=staff)  # a retry: same result, nothing written

    pottery, football, coding, theatre = (new_uuid() for _ in range(4))
    step(datetime(2026, 3, 3, 19, 0, tzinfo=UTC), "checkout starts: hold 12 for pottery")
    pottery_hold = ledger.place_hold(
        PlaceHold(
            tenant_id=tenant,
            balance_id=balance_id,
            booking_id=pottery,
            credits=12,
            idempotency_key="hold-pottery",
        ),
        actor=staff,
    )
    step(datetime(2026, 3, 3, 19, 5, tzinfo=UTC), "payment confirmed: capture the hold")
    ledger.capture_hold(
        CaptureHold(
            tenant_id=tenant,
            balance_id=balance_id,
            hold_id=pottery_hold.id,
            idempotency_key="capture-pottery",
        ),
        actor=staff,
    )
    step(datetime(2026, 3, 4, 12, 0, tzinfo=UTC), "hold 15 for theatre, then abandon it")
    theatre_hold = ledger.place_hold(
        PlaceHold(
            tenant_id=tenant,
            balance_id=balance_id,
            booking_id=theatre,
            credits=15,
            idempotency_key="hold-theatre",
        ),
        actor=staff,
    )
    ledger.void_hold(
        VoidHold(
            tenant_id=tenant,
            balance_id=balance_id,
            hold_id=theatre_hold.id,
            idempotency_key="void-theatre",
        ),
        actor=staff,
    )
    for when, booking, credits, name in [
        (datetime(2026, 3, 6, 9, 0, tzinfo=UTC), football, 10, "football"),
        (datetime(2026, 3, 9, 9, 0, tzinfo=UTC), coding, 8, "coding club"),
    ]:
        step(when, f"book {name}: debit {credits}")
        ledger.debit(
            Debit(
                tenant_id=tenant,
                balance_id=balance_id,
                booking_id=booking,
                credits=credits,
                idempotency_key=f"debit-{name}",
            ),
            actor=staff,
        )
    step(datetime(2026, 3, 12, 10, 0, tzinfo=UTC), "the venue cancels football: full refund")
    ledger.refund(
        Refund(
            tenant_id=tenant,
            balance_id=balance_id,
            booking_id=football,
            reason="venue cancelled the session",
            idempotency_key="refund-football",
        ),
        actor=staff,
    )
    step(datetime(2026, 3, 16, 18, 0, tzinfo=UTC), "no-show at coding club: forfeit")
    ledger.forfeit(
        Forfeit(
            tenant_id=tenant,
            balance_id=balance_id,
            booking_id=coding,
            reason="no-show",
            idempotency_key="forfeit-coding",
        ),
        actor=staff,
    )
    step(datetime(2026, 3, 18, 11, 0, tzinfo=UTC), "support grants 5 goodwill credits")
    ledger.adjust(
        Adjust(
            tenant_id=tenant,
            balance_id=balance_id,
            credits=5,
            reason="goodwill after a billing mix-up",
            idempotency_key="adjust-goodwill",
        ),
        actor=staff,
    )
    step(datetime(2026, 3, 25, 6, 0, tzinfo=UTC), "daily job: expiry warnings")
    ledger.send_expiry_warnings(tenant, actor=Actor.system(tenant, "credit-warnings"))
    for warning in warnings:
        assert isinstance(warning, ExpiryWarningDue)
        print(f"    warning: {warning.credits} credits expire at {warning.expires_at:%d %b %H:%M}")
    step(datetime(2026, 4, 1, 0, 30, tzinfo=UTC), "daily job: close ended periods")
    ledger.close_periods(tenant, actor=Actor.system(tenant, "credit-expiry"))
    ledger.close_periods(
        tenant, actor=Actor.system(tenant, "credit-expiry")
    )  # running it twice writes one expiry entry

    view = ledger.balance(tenant, balance_id, actor=staff)
    print(f"\nLedger for {view.period.start} to {view.period.end}:")
    print(f"  {'#':>2}  {'type':<15} {'amount':>6}  {'balance_after':>13}")
    for entry in view.entries:
        print(
            f"  {entry.sequence:>2}  {entry.entry_type.value:<15} {entry.amount:>+6}  "
            f"{entry.balance_after:>13}"
        )
    print(_figures(view))
    return view


if __name__ == "__main__":
    run()
