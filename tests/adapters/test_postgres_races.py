"""The losers of a race get the same error on PostgreSQL as on memory: a use case locks the
row it changes before it checks it (``bookings.get`` and ``payments.get`` are ``SELECT ...
FOR NO KEY UPDATE``), so concurrent changes of one row queue and each checks what the one
before it left. Memory runs one unit of work at a time, which gives the same result.

Negative controls swap in repositories that read without the lock, and show that the same
tests then see other errors.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, get_args

import pytest

from travelcore.booking import (
    BookingStatus,
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
)
from travelcore.kernel import ManualClock, Money, TenantId, TravelcoreError, UserId, new_uuid
from travelcore.ledger import AllocateCredits, EntryType
from travelcore.payments import PaymentService, PayTrip, RefundPayment
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore.travel import BookTrip, LineItem, RegisterTenant, TravelService, TripId
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.postgres import PostgresDatabase, PostgresUnitOfWork, StatementPath
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.repositories import ledger
from travelcore_adapters.postgres.repositories.booking import PostgresBookingRepository
from travelcore_adapters.postgres.repositories.ledger import PostgresLedgerRepository
from travelcore_adapters.postgres.repositories.payments import PostgresPayments

THREADS, ROUNDS, FEW = 8, 20, 5
PATHS: tuple[StatementPath, ...] = get_args(StatementPath)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def pools(
    postgres_test_database: ProvisionedDatabase,
) -> Iterator[Callable[[StatementPath], PostgresDatabase]]:
    """A pool of ``THREADS`` connections per statement path, opened when first asked for."""
    opened: dict[StatementPath, PostgresDatabase] = {}

    def pool(path: StatementPath) -> PostgresDatabase:
        if path not in opened:
            opened[path] = PostgresDatabase(
                postgres_test_database.app_url,
                pool_size=THREADS,
                pool_timeout=60,
                retry_attempts=8,
                statement_path=path,
            )
        return opened[path]

    yield pool
    for database in opened.values():
        database.dispose()


@pytest.fixture(params=["memory", *PATHS])
def racing(request: pytest.FixtureRequest) -> tuple[Any, Callable[..., Any]]:
    """The unit-of-work factory (memory, or PostgreSQL on a statement path) and how to call
    a use case on it (retried on ``TransientConflict`` on PostgreSQL)."""
    if request.param == "memory":
        return MemoryDatabase(), lambda fn: fn
    database: PostgresDatabase = request.getfixturevalue("pools")(request.param)
    return database, database.retrying


@pytest.fixture(params=PATHS)
def unlocked_pool(
    request: pytest.FixtureRequest, pools: Callable[[StatementPath], PostgresDatabase]
) -> PostgresDatabase:
    """PostgreSQL on a statement path, for the negative controls."""
    return pools(request.param)


def without_locks(
    database: PostgresDatabase, **repositories: Callable[[Any], Any]
) -> Callable[[TenantId], PostgresUnitOfWork]:
    """Units of work whose named repositories are replaced (by ones that read without
    their locks)."""

    def make(tenant: TenantId) -> PostgresUnitOfWork:
        uow = PostgresUnitOfWork(database.engine, tenant, database.bus, clock=database.clock)
        for name, repository in repositories.items():
            setattr(uow, name, repository(uow.scope))
        return uow

    return make


def race(calls: Sequence[Callable[[], object]]) -> Counter[str]:
    """Run ``calls`` at once on as many threads; the outcome of each: ``ok`` or the name of
    the error it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> str:
        barrier.wait()
        try:
            call()
        except TravelcoreError as error:
            return type(error).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(run, calls))


def lost_races(
    one_round: Callable[[], Counter[str]], expected: set[str], rounds: int = ROUNDS
) -> Counter[str]:
    """The outcomes of up to ``rounds`` rounds, stopping after the first that shows an
    outcome outside ``expected``."""
    seen: Counter[str] = Counter()
    for _ in range(rounds):
        outcomes = one_round()
        seen += outcomes
        if set(outcomes) - expected:
            break
    return seen


# -- cancellations of one booking ------------------------------------------------------------


def cancellation_round(world: World, retrying: Callable[..., Any]) -> tuple[Counter[str], int]:
    """A confirmed booking cancelled by the parent from 8 threads at once: the outcomes and
    the number of refunds in the ledger."""
    session_id = world.session(starts_in=timedelta(days=7), capacity=2, credits=5)
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
    cancel = retrying(world.bookings.cancel)
    calls = [
        functools.partial(
            cancel,
            CancelBooking(
                tenant_id=world.tenant,
                booking_id=receipt.booking_id,
                reason=CancellationReason.SCHEDULE_CONFLICT,
                idempotency_key=f"cancel-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    with world.db(world.tenant) as uow:
        balance = uow.credits.find(parent, world.clock.now().date())
    refunds = [
        entry
        for entry in (balance.entries if balance is not None else [])
        if entry.entry_type is EntryType.REFUND_CREDIT and entry.booking_id == receipt.booking_id
    ]
    assert world.booking(receipt.booking_id).status is BookingStatus.CANCELLED_PARENT
    return outcomes, len(refunds)


def test_eight_cancellations_of_one_booking_refund_once_and_the_losers_get_invalid_transition(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS):
        world = World(database, ManualClock(T0))
        outcomes, refunds = cancellation_round(world, retrying)
        assert outcomes == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), outcomes
        assert refunds == 1


class UnlockedBookings(PostgresBookingRepository):
    lock_on_get: ClassVar[bool] = False


def test_negative_control_cancellations_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    """Read without the row lock, a loser checks the booking as it was before the winner
    cancelled it and fails later on something else (the test above can fail)."""
    database = without_locks(unlocked_pool, bookings=UnlockedBookings)
    expected = {"ok", "InvalidTransition"}
    seen = lost_races(
        lambda: cancellation_round(World(database, ManualClock(T0)), unlocked_pool.retrying)[0],
        expected,
    )
    assert set(seen) - expected, seen


# -- refunds of one payment --------------------------------------------------------------------


def refund_round(database: Any, retrying: Callable[..., Any]) -> tuple[Counter[str], Money | None]:
    """A paid trip of 220 EUR refunded in full from 8 threads at once: the outcomes and
    what the provider refunded. A full refund of a payment with nothing left to refund is
    ``ValidationFailed("amount", "positive")``."""
    clock = ManualClock(T0)
    tenant = TenantId(new_uuid())
    travel = TravelService(database, clock)
    gateway = MemoryPaymentGateway()
    payments = PaymentService(database, clock, gateway=gateway)
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    start = date(2026, 5, 1)
    hotel = LineItem.hotel(
        provider="Booking.com",
        external_ref="H",
        price_per_night=Money.of("110.00", "EUR"),
        check_in=start,
        check_out=start + timedelta(days=2),
    )
    trip = travel.book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            currency="EUR",
            items=(hotel,),
            idempotency_key="trip",
        ),
        actor=admin(tenant),
    )
    paid = payments.pay(
        PayTrip(
            tenant_id=tenant,
            trip_id=TripId(trip.id),
            payment_method="pm_card_visa",
            idempotency_key="p",
        ),
        actor=admin(tenant),
    )
    refund = retrying(payments.refund)
    calls = [
        functools.partial(
            refund,
            RefundPayment(tenant_id=tenant, payment_id=paid.payment_id, idempotency_key=f"r{n}"),
            actor=admin(tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    assert payments.payment(tenant, paid.payment_id, actor=admin(tenant)).refunded == Money.of(
        "220.00", "EUR"
    )
    return outcomes, gateway.refunded(str(paid.provider_ref))


def test_eight_full_refunds_of_one_payment_refund_once_and_the_losers_get_the_same_error(
    racing: tuple[Any, Callable[..., Any]],
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS):
        outcomes, refunded = refund_round(database, retrying)
        assert outcomes == Counter({"ok": 1, "ValidationFailed": THREADS - 1}), outcomes
        assert refunded == Money.of("220.00", "EUR")


class UnlockedPayments(PostgresPayments):
    lock_on_get: ClassVar[bool] = False


def test_negative_control_refunds_checked_before_the_lock_give_other_errors(
    unlocked_pool: PostgresDatabase,
) -> None:
    database = without_locks(unlocked_pool, payments=UnlockedPayments)
    expected = {"ok", "ValidationFailed"}
    seen = lost_races(lambda: refund_round(database, unlocked_pool.retrying)[0], expected)
    assert set(seen) - expected, seen


# -- allocations to one balance: create-or-update of one row -------------------------------


class UnlockedLedger(PostgresLedgerRepository):
    """Balances found without the row lock, and without the key lock when there is none."""

    lock_on_get: ClassVar[bool] = False

    def find_query(self, user_id: UserId, day: date) -> Any:
        return self._query(ledger.CURRENT, user_id=user_id, day=day)


def allocation_round(
    database: Any, retrying: Callable[..., Any], *, opened: bool
) -> tuple[Counter[str], int, int]:
    """Eight allocations of 5 credits to one parent at once, onto the balance of the
    period (``opened``: it holds 20 already) or opening it: the outcomes, the credits
    allocated and the number of balances of the parent."""
    world = World(database, ManualClock(T0))
    parent, _ = world.family(credits=20 if opened else 0)
    allocate = retrying(world.ledger.allocate_credits)
    calls = [
        functools.partial(
            allocate,
            AllocateCredits(
                tenant_id=world.tenant,
                user_id=parent,
                day=T0.date(),
                credits=5,
                idempotency_key=f"allocate-{n}",
            ),
            actor=admin(world.tenant),
        )
        for n in range(THREADS)
    ]
    outcomes = race(calls)
    with world.db(world.tenant) as uow:
        balance = uow.credits.find(parent, T0.date())
        opened_ids = uow.credits.open_ending_by(date(2100, 1, 1))
    return outcomes, 0 if balance is None else balance.allocated, len(opened_ids)


@pytest.mark.parametrize("opened", [True, False], ids=["onto-a-balance", "opening-it"])
def test_eight_allocations_to_one_parent_all_succeed_as_on_memory(
    racing: tuple[Any, Callable[..., Any]], opened: bool
) -> None:
    database, retrying = racing
    for _ in range(ROUNDS // 2):
        outcomes, allocated, balances = allocation_round(database, retrying, opened=opened)
        assert outcomes == Counter({"ok": THREADS}), outcomes
        assert allocated == (20 if opened else 0) + 5 * THREADS
        assert balances == 1


@pytest.mark.parametrize("opened", [True, False], ids=["onto-a-balance", "opening-it"])
def test_negative_control_allocations_without_the_locks_lose_races(
    unlocked_pool: PostgresDatabase, opened: bool
) -> None:
    database = without_locks(unlocked_pool, credits=UnlockedLedger)
    retrying = unlocked_pool.retrying
    seen = lost_races(lambda: allocation_round(database, retrying, opened=opened)[0], {"ok"})
    assert set(seen) & {"StaleVersion", "AlreadyExists"}, seen
