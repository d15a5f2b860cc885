"""Many threads booking one session through the memory adapter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from travelcore.booking import BookingStatus, BookSession, JoinWaitlist
from travelcore.kernel import CapacityExceeded, InsufficientCredits, ManualClock, TravelcoreError
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase

ATTEMPTS = 200
CAPACITY = 10
CREDITS = 5


def test_200_attempts_on_10_seats_book_exactly_10(clock: ManualClock) -> None:
    world = World(MemoryDatabase(), clock)
    session_id = world.session(capacity=CAPACITY, credits=CREDITS)
    births = [date(2015 + n, 1, 1) for n in range(4)]
    # 50 parents with 4 children each; every fifth parent can afford only one seat
    families = [
        world.family(credits=CREDITS if n % 5 == 0 else 40, born=births)
        for n in range(ATTEMPTS // 4)
    ]
    attempts = [(parent, child) for parent, children in families for child in children]
    allocated = sum(world.balance(parent).allocated for parent, _ in families)

    def attempt(pair: tuple[object, object]) -> str:
        parent, child = pair
        try:
            world.bookings.book(
                BookSession(
                    tenant_id=world.tenant,
                    session_id=session_id,
                    child_id=child,
                    parent_id=parent,
                    idempotency_key=f"book-{child}",
                ),
                actor=admin(world.tenant),
            )
        except CapacityExceeded:
            world.waitlist.join(
                JoinWaitlist(
                    tenant_id=world.tenant,
                    session_id=session_id,
                    child_id=child,
                    parent_id=parent,
                    idempotency_key=f"wait-{child}",
                ),
                actor=admin(world.tenant),
            )
            return "waitlisted"
        except InsufficientCredits:
            return "refused"
        except TravelcoreError as error:
            return f"error {error.code}"
        return "booked"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, attempts))

    assert outcomes.count("booked") == CAPACITY
    assert (
        outcomes.count("booked") + outcomes.count("waitlisted") + outcomes.count("refused")
        == ATTEMPTS
    )
    session = world.get_session(session_id)
    assert (session.booked_count, session.offered_count) == (CAPACITY, 0)
    bookings = world.bookings_on(session_id)
    assert len(bookings) == CAPACITY
    assert {b.status for b in bookings} == {BookingStatus.PENDING}
    assert len({b.confirmation_code for b in bookings}) == CAPACITY
    assert len(world.entries_on(session_id)) == outcomes.count("waitlisted")
    views = [world.balance(parent) for parent, _ in families]
    assert sum(v.held for v in views) == CAPACITY * CREDITS
    assert sum(v.balance for v in views) == allocated  # nothing spent, lost or created
    assert all(v.available >= 0 for v in views)
