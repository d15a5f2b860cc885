"""Billing days are the corporate's local dates: at one UTC instant a corporate in
Pacific/Auckland and one in America/Los_Angeles can be in different billing periods, on
the memory adapter and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from travelcore.billing import BillingService, ChangeInvoice, InvoiceStatus, IssueInvoice
from travelcore.kernel import ManualClock, Money, ValidationFailed, new_uuid
from travelcore.ledger import (
    AllocatePeriodCredits,
    CorporateId,
    CorporateSubscription,
    CreateSubscription,
    SubscriptionTier,
)
from travelcore.people import PeopleService, RegisterCorporate
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

# 2026-03-31 12:00 UTC is 1 April 01:00 in Auckland (UTC+13) and 31 March 05:00 in Los Angeles
INSTANT = datetime(2026, 3, 31, 12, tzinfo=UTC)
AUCKLAND, LOS_ANGELES = "Pacific/Auckland", "America/Los_Angeles"


def ADMIN(world: World) -> Any:
    return admin(world.tenant)


@pytest.fixture(params=["memory", "postgres"])
def world(request: pytest.FixtureRequest) -> World:
    clock = ManualClock(INSTANT)
    if request.param == "memory":
        return World(MemoryDatabase(), clock)
    return World(request.getfixturevalue("postgres_database"), clock)


def subscribe(world: World, zone: str) -> CorporateSubscription:
    return world.ledger.create_subscription(
        CreateSubscription(
            tenant_id=world.tenant,
            corporate_id=CorporateId(new_uuid()),
            tier=SubscriptionTier.STANDARD,
            covered_employees=10,
            credits_per_employee=30,
            monthly_cost=Money.of("1000.00", "EUR"),
            start_date=date(2026, 1, 1),
            timezone=zone,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def test_the_same_instant_is_in_different_periods_for_auckland_and_los_angeles(
    world: World,
) -> None:
    billing = BillingService(world.db, world.clock)  # type: ignore[arg-type]
    auckland, los_angeles = subscribe(world, AUCKLAND), subscribe(world, LOS_ANGELES)
    assert world.ledger.subscription(world.tenant, auckland.id, actor=ADMIN(world)).timezone == (
        AUCKLAND
    )

    def invoice(subscription: CorporateSubscription) -> tuple[date, date]:
        issued = billing.issue_invoice(
            IssueInvoice(
                tenant_id=world.tenant,
                subscription_id=subscription.id,
                prefix="ACME",
                tax_rate=Decimal(0),
                idempotency_key=world.key(),
            ),
            actor=ADMIN(world),
        )
        return issued.period.start, issued.issued_on

    assert invoice(auckland) == (date(2026, 4, 1), date(2026, 4, 1))
    assert invoice(los_angeles) == (date(2026, 3, 1), date(2026, 3, 31))

    def credits(subscription: CorporateSubscription) -> date:
        entry = world.ledger.allocate_period_credits(
            AllocatePeriodCredits(
                tenant_id=world.tenant,
                subscription_id=subscription.id,
                user_id=world.family(credits=1)[0],
                idempotency_key=world.key(),
            ),
            actor=ADMIN(world),
        )
        return world.ledger.balance(world.tenant, entry.balance_id, actor=ADMIN(world)).period.start

    assert credits(auckland) == date(2026, 4, 1)
    assert credits(los_angeles) == date(2026, 3, 1)


def test_an_invoice_is_overdue_from_the_day_after_its_due_date_in_the_corporates_zone(
    world: World,
) -> None:
    billing = BillingService(world.db, world.clock)  # type: ignore[arg-type]
    due = {}
    for zone in (AUCKLAND, LOS_ANGELES):
        subscription = subscribe(world, zone)
        issued = billing.issue_invoice(
            IssueInvoice(
                tenant_id=world.tenant,
                subscription_id=subscription.id,
                prefix="ACME",
                idempotency_key=world.key(),
            ),
            actor=ADMIN(world),
        )
        billing.send_invoice(
            ChangeInvoice(
                tenant_id=world.tenant, invoice_id=issued.id, idempotency_key=world.key()
            ),
            actor=ADMIN(world),
        )
        due[zone] = issued
    # net 30 from the local issue dates: 1 May in Auckland, 30 April in Los Angeles
    assert (due[AUCKLAND].due_on, due[LOS_ANGELES].due_on) == (date(2026, 5, 1), date(2026, 4, 30))
    world.clock.set(datetime(2026, 5, 1, 11, tzinfo=UTC))  # 23:00 on the due date in Auckland
    assert billing.mark_overdue(world.tenant, actor=job(world.tenant)) == 1
    assert (
        billing.invoice(world.tenant, due[LOS_ANGELES].id, actor=ADMIN(world)).status
        is InvoiceStatus.OVERDUE
    )
    assert (
        billing.invoice(world.tenant, due[AUCKLAND].id, actor=ADMIN(world)).status
        is InvoiceStatus.SENT
    )
    world.clock.set(datetime(2026, 5, 1, 13, tzinfo=UTC))  # 2 May in Auckland, 1 May in UTC
    assert billing.mark_overdue(world.tenant, actor=job(world.tenant)) == 1
    assert (
        billing.invoice(world.tenant, due[AUCKLAND].id, actor=ADMIN(world)).status
        is InvoiceStatus.OVERDUE
    )


def test_a_corporate_stores_its_zone_and_an_unknown_zone_is_refused(world: World) -> None:
    people = PeopleService(world.db, world.clock)  # type: ignore[arg-type]

    def register(zone: str) -> CorporateId:
        return people.register_corporate(
            RegisterCorporate(
                tenant_id=world.tenant,
                company_name="Kiwi Ltd",
                primary_contact_name="Aroha",
                primary_contact_email="hr@kiwi.example",
                contract_start_date=date(2026, 1, 1),
                timezone=zone,
            ),
            actor=ADMIN(world),
        )

    corporate = register(AUCKLAND)
    with world.db(world.tenant) as uow:
        assert uow.corporates.get(corporate).timezone == AUCKLAND  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as error:
        register("Mars/Olympus")
    assert (error.value.field, error.value.rule) == ("timezone", "iana_zone")
