"""At the date line, "today" is the corporate's local date, on memory and PostgreSQL: the
credits allocated for a UTC+14 or UTC-11 corporate's local period are the ones its
parents' balance reads and bookings use, while the UTC date is already (or still) in
another period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from travelcore.booking import BookSession
from travelcore.kernel import (
    Actor,
    InsufficientCredits,
    ManualClock,
    Money,
    UserId,
    ValidationFailed,
)
from travelcore.ledger import (
    AllocatePeriodCredits,
    CreateSubscription,
    SubscriptionTier,
)
from travelcore.people import AddChild, PeopleService
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

# (zone, instant, the local date there): the UTC date is in the other period.
DATE_LINE = [
    ("Pacific/Kiritimati", datetime(2026, 3, 31, 12, tzinfo=UTC), date(2026, 4, 1)),  # UTC+14
    ("Pacific/Pago_Pago", datetime(2026, 4, 1, 5, tzinfo=UTC), date(2026, 3, 31)),  # UTC-11
]


@pytest.fixture(params=["memory", "postgres"])
def database(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryDatabase()
    return request.getfixturevalue("postgres_database")


def _local_family(world: World, timezone: str) -> tuple[UserId, Any]:
    """A parent of a corporate in ``timezone`` with its subscription's credits for the
    period of the local date (allocated by the subscription, in its zone)."""
    parent, [child] = world.family(credits=0)
    with world.db(world.tenant) as uow:
        corporate = uow.corporates.get(uow.users.get(parent).corporate_id)
        corporate.timezone = timezone
        uow.corporates.save(corporate)
        uow.commit()
    subscription = world.ledger.create_subscription(
        CreateSubscription(
            tenant_id=world.tenant,
            corporate_id=corporate.id,
            tier=SubscriptionTier.STANDARD,
            covered_employees=10,
            credits_per_employee=20,
            monthly_cost=Money.of("100", "EUR"),
            start_date=date(2026, 1, 1),
            timezone=timezone,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.ledger.allocate_period_credits(
        AllocatePeriodCredits(
            tenant_id=world.tenant,
            subscription_id=subscription.id,
            user_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    return parent, child


@pytest.mark.parametrize(("timezone", "instant", "local"), DATE_LINE)
def test_balance_reads_and_bookings_use_the_corporates_local_date(
    database: Any, timezone: str, instant: datetime, local: date
) -> None:
    world = World(database, ManualClock(instant))
    parent, child = _local_family(world, timezone)
    view = world.ledger.balance_for(world.tenant, parent, actor=admin(world.tenant))
    assert view is not None
    assert view.period.contains(local)
    assert not view.period.contains(instant.date())
    assert view.available == 20

    session = world.session(credits=5)
    command = BookSession(
        tenant_id=world.tenant,
        session_id=session,
        child_id=child,
        parent_id=parent,
        idempotency_key=world.key(),
    )
    receipt = world.bookings.book(command, actor=admin(world.tenant))
    assert world.booking(receipt.booking_id).balance_id == view.balance_id
    after = world.ledger.balance_for(world.tenant, parent, actor=admin(world.tenant))
    assert after is not None
    assert after.available == 15


@pytest.mark.parametrize(("timezone", "instant", "local"), DATE_LINE)
def test_negative_control_the_utc_date_finds_no_credits(
    database: Any,
    timezone: str,
    instant: datetime,
    local: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from travelcore.ledger import service

    world = World(database, ManualClock(instant))
    parent, child = _local_family(world, timezone)
    monkeypatch.setattr(service, "local_today", lambda directory, user, now: now.date())
    assert world.ledger.balance_for(world.tenant, parent, actor=admin(world.tenant)) is None
    command = BookSession(
        tenant_id=world.tenant,
        session_id=world.session(credits=5),
        child_id=child,
        parent_id=parent,
        idempotency_key=world.key(),
    )
    with pytest.raises(InsufficientCredits):
        world.bookings.book(command, actor=admin(world.tenant))


@pytest.mark.parametrize(
    ("timezone", "local_midnight"),
    [
        ("Pacific/Kiritimati", datetime(2026, 3, 31, 10, tzinfo=UTC)),  # before UTC's
        ("Pacific/Pago_Pago", datetime(2026, 4, 1, 11, tzinfo=UTC)),  # after UTC's
    ],
)
def test_a_period_closes_at_local_midnight(
    database: Any, timezone: str, local_midnight: datetime
) -> None:
    clock = ManualClock(datetime(2026, 3, 15, 12, tzinfo=UTC))
    world = World(database, clock)
    parent, _ = _local_family(world, timezone)
    job = Actor.system(world.tenant, "close-periods")
    clock.set(local_midnight - timedelta(seconds=1))
    assert world.ledger.close_periods(world.tenant, actor=job) == 0
    assert world.balance(parent, date(2026, 3, 15)).is_closed is False
    clock.set(local_midnight)
    assert world.ledger.close_periods(world.tenant, actor=job) == 1
    assert world.balance(parent, date(2026, 3, 15)).is_closed is True


@pytest.mark.parametrize(("timezone", "accepted"), [("Pacific/Kiritimati", True), ("UTC", False)])
def test_a_child_born_on_the_local_today_is_not_born_in_the_future(
    database: Any, timezone: str, accepted: bool
) -> None:
    instant = datetime(2026, 3, 31, 12, tzinfo=UTC)  # 1 April in Kiritimati
    world = World(database, ManualClock(instant))
    parent, _ = _local_family(world, timezone)
    people = PeopleService(database, world.clock)
    command = AddChild(
        tenant_id=world.tenant,
        parent_id=parent,
        first_name="Noa",
        date_of_birth=date(2026, 4, 1),
        idempotency_key=world.key(),
    )
    if accepted:
        people.add_child(command, actor=admin(world.tenant))
    else:
        with pytest.raises(ValidationFailed) as refused:
            people.add_child(command, actor=admin(world.tenant))
        assert refused.value.rule == "not_in_future"
