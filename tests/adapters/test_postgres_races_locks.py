"""Locking reads (``get_for_update``) of rows that hot paths read without a lock: a venue
(every booking reads its venue), a child (every booking reads its child) and a tenant's
platform settings (every policy lookup reads them).

Commands that change a venue or a child read it with ``get_for_update``, so concurrent
commands on one of them queue on PostgreSQL and give the outcomes memory gives (8 threads,
memory and both statement paths), while a booking still reads the venue without waiting.
Policy lookups read the settings without a lock, so they never wait for a write of the
settings. Negative controls read without the lock (the races end in ``StaleVersion``) or
with it (the lookup waits until its statement times out).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.adapters.test_postgres_races import (
    FEW,
    PATHS,
    T0,
    THREADS,
    lost_races,
    pools,
    race,
    racing,
    unlocked_pool,
    without_locks,
)
from travelcore.booking import BookSession
from travelcore.catalog import ChangeVenueStatus, UpdateInsurance, Venue, VenueId, VenueStatus
from travelcore.kernel import Actor, ManualClock, TenantId, UserId, new_uuid
from travelcore.people import Child
from travelcore.retention import ChildDeletion
from travelcore.settings import PlatformSettings, PlatformSettingsService
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, StatementPath
from travelcore_adapters.postgres.errors import StatementTimedOut
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories.catalog import PostgresVenueRepository
from travelcore_adapters.postgres.repositories.people import PostgresChildRepository

__all__ = ["pools", "racing", "unlocked_pool"]  # the fixtures this module uses


# -- concurrent commands on one venue -------------------------------------------------------


class UnlockedVenues(PostgresVenueRepository):
    def get_for_update(self, key: Any) -> Venue:
        return self.get(key)


def venue_round(
    database: Any, retrying: Callable[..., Any], *, suspensions: bool
) -> tuple[Counter[str], Venue, int]:
    """A platform admin suspends an active venue while its 7 admins update its insurance
    (or 8 platform admins suspend it), at once: the outcomes, the venue after them and the
    number of saves."""
    world = World(database, ManualClock(T0))
    tenant = world.tenant
    venue_id = world.get_session(world.session()).venue_id
    with database(tenant) as uow:
        before = uow.venues.get(venue_id).version
    suspend = functools.partial(
        retrying(world.catalog.change_venue_status),
        ChangeVenueStatus(tenant_id=tenant, venue_id=venue_id, action="suspend", reason="audit"),
        actor=admin(tenant),
    )
    insure = retrying(world.catalog.update_insurance)
    calls = [suspend] * THREADS if suspensions else [suspend]
    calls += [
        functools.partial(
            insure,
            UpdateInsurance(
                tenant_id=tenant,
                venue_id=venue_id,
                coverage=Decimal(2_000_000 + n),
                expiry_date=date(2031, 1, n),
            ),
            actor=Actor.venue_admin(tenant, UserId(new_uuid()), venue_id),
        )
        for n in range(1, THREADS + 1 - len(calls))
    ]
    outcomes = race(calls)
    with database(tenant) as uow:
        venue = uow.venues.get(venue_id)
    return outcomes, venue, venue.version - before


def test_a_suspension_and_seven_insurance_updates_of_one_venue_all_land_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, venue, saves = venue_round(database, retrying, suspensions=False)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert venue.status is VenueStatus.SUSPENDED
        assert venue.insurance_coverage in {Decimal(2_000_000 + n) for n in range(1, THREADS)}
        assert saves == THREADS


def test_eight_suspensions_of_one_venue_succeed_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(FEW):
        outcomes, venue, saves = venue_round(database, retrying, suspensions=True)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert venue.status is VenueStatus.SUSPENDED
        assert saves == 1


def test_negative_control_venue_commands_without_the_lock_get_stale_version(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Eight changes of one venue read without the lock outlast the use case's three
    attempts. (Eight suspensions do not show it: a retried loser finds the venue
    suspended and gets ``InvalidTransition`` either way.)"""
    database = without_locks(unlocked_pool, venues=UnlockedVenues)
    seen = lost_races(
        lambda: venue_round(database, unlocked_pool.retrying, suspensions=False)[0], {"ok"}
    )
    assert "StaleVersion" in seen, seen


# -- a parent's requests to erase one child -------------------------------------------------


class UnlockedChildren(PostgresChildRepository):
    def get_for_update(self, key: Any) -> Child:
        return self.get(key)


def erasure_round(database: Any) -> tuple[Counter[str], set[date | None], int]:
    """A parent asks to erase a child from 8 threads at once (a double-clicked button):
    the outcomes, the dates they were told and the child's saves."""
    world = World(database, ManualClock(T0))
    parent, [child_id] = world.family(credits=0)
    with database(world.tenant) as uow:
        actor = Actor.parent(world.tenant, parent, uow.users.get(parent).corporate_id)
        before = uow.children.get(child_id).version
    job = ChildDeletion(database, world.clock)
    told: set[date | None] = set()

    def request() -> None:
        told.add(job.request(child_id, actor=actor))

    outcomes = race([request] * THREADS)
    with database(world.tenant) as uow:
        child = uow.children.get(child_id)
    told.discard(child.deletion_scheduled_for)
    return outcomes, told, child.version - before


def test_eight_erasure_requests_of_one_child_all_keep_the_first_schedule_as_on_memory(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    """Each request saves the child (deactivated again) and is told the one scheduled day."""
    database, _ = racing
    for _ in range(FEW):
        outcomes, other_days, saves = erasure_round(database)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert other_days == set()
        assert saves == THREADS


def test_negative_control_erasure_requests_without_the_lock_get_stale_version(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, children=UnlockedChildren)
    seen = lost_races(lambda: erasure_round(database)[0], {"ok"})
    assert "StaleVersion" in seen, seen


# -- hot paths read without waiting ---------------------------------------------------------


@pytest.fixture(params=PATHS)
def impatient(request: pytest.FixtureRequest, postgres_test_database: ProvisionedDatabase) -> Any:
    """PostgreSQL on a statement path whose statements time out after a second: a read
    that waits for a lock held meanwhile fails with ``StatementTimedOut``."""
    path: StatementPath = request.param
    database = PostgresDatabase(
        postgres_test_database.app_url, pool_size=1, statement_path=path, statement_timeout=1.0
    )
    yield database
    database.dispose()


def test_a_booking_reads_its_venue_while_a_venue_command_holds_it(
    impatient: PostgresDatabase, pools: Callable[[StatementPath], PostgresDatabase]
) -> None:
    holder = pools(PATHS[0])
    world = World(holder, ManualClock(T0))
    session_id = world.session()
    parent, [child] = world.family()
    venue_id: VenueId = world.get_session(session_id).venue_id
    bookings = World(impatient, ManualClock(T0)).bookings
    with holder(world.tenant) as changing:
        changing.venues.get_for_update(venue_id)
        receipt = bookings.book(
            BookSession(
                tenant_id=world.tenant,
                session_id=session_id,
                child_id=child,
                parent_id=parent,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
        assert receipt.booking_id
        with impatient(world.tenant) as locking, pytest.raises(StatementTimedOut):
            locking.venues.get_for_update(venue_id)  # the negative control


def test_a_policy_lookup_reads_the_settings_while_a_write_holds_them(
    impatient: PostgresDatabase, pools: Callable[[StatementPath], PostgresDatabase]
) -> None:
    holder = pools(PATHS[0])
    tenant = TenantId(new_uuid())
    clock = ManualClock(T0)
    expected = PlatformSettingsService(holder, clock).update(
        tenant, {"inventory_release": 3600}, actor=admin(tenant)
    )
    assert expected.inventory_release == timedelta(hours=1)
    with holder(tenant) as writing:
        held: PlatformSettings = writing.platform_settings.get_for_update()
        assert held.overrides == {"inventory_release": 3600}
        assert PlatformSettingsService(impatient, clock).policy_for(tenant) == expected
        with impatient(tenant) as locking, pytest.raises(StatementTimedOut):
            locking.platform_settings.get_for_update()  # the negative control
