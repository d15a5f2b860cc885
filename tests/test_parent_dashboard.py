"""The parent dashboard read model gives the same answer on memory and PostgreSQL: credits,
days left, children, upcoming bookings (not cancelled, not started), unread notifications;
a parent sees only their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from examples.api.app import Services
from examples.api.sample import seed

from travelcore.booking import CancelBooking, CancellationReason, ConfirmBooking
from travelcore.booking.service import BookSession
from travelcore.kernel import AccessDenied, Actor, ManualClock, Role
from travelcore.notifications import Announce
from travelcore_adapters import bootstrap
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.security import AesGcmSecretBox

BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, "k1")


@pytest.fixture(params=["memory", "postgres"])
def wired(request: pytest.FixtureRequest) -> Iterator[tuple[bootstrap.App, ManualClock]]:
    clock = ManualClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    if request.param == "memory":
        yield bootstrap.memory(clock=clock, secret_box=BOX), clock
        return
    database: ProvisionedDatabase = request.getfixturevalue("postgres_test_database")
    with bootstrap.postgres(database.app_url, pool_size=2, clock=clock, secret_box=BOX) as app:
        yield app, clock


def test_the_dashboard_reads_one_consistent_picture(
    wired: tuple[bootstrap.App, ManualClock],
) -> None:
    app, clock = wired
    services = Services.of(app, "secret")
    sample = seed(services)
    tenant, (garcia, kim) = sample.tenant_id, sample.parents
    staff = Actor(tenant_id=tenant, role=Role.PLATFORM_ADMIN, user_id=kim.user_id)
    ana, leo = garcia.children
    booked = []
    for n, (session, child) in enumerate(
        [(sample.sessions[0], ana), (sample.sessions[2], leo), (sample.sessions[3], ana)]
    ):
        cmd = BookSession(
            tenant_id=tenant,
            session_id=session,
            child_id=child,
            parent_id=garcia.user_id,
            idempotency_key=f"b{n}",
        )
        booked.append(app.booking.book(cmd, actor=staff))
    app.booking.confirm(
        ConfirmBooking(tenant_id=tenant, booking_id=booked[0].booking_id, idempotency_key="c"),
        actor=staff,
    )
    app.booking.cancel(
        CancelBooking(
            tenant_id=tenant,
            booking_id=booked[1].booking_id,
            reason=CancellationReason.WEATHER,
            idempotency_key="x",
        ),
        actor=staff,
    )
    services.notifications.announce(
        Announce(
            tenant_id=tenant,
            user_ids=(garcia.user_id,),
            subject="Spring break",
            message="New camps are open",
            idempotency_key="a",
        ),
        actor=staff,
    )
    services.notifications.deliver_due(tenant, actor=staff)
    parent = Actor(tenant_id=tenant, role=Role.PARENT, user_id=garcia.user_id)

    clock.advance(timedelta(days=8))  # the first two sessions (day 7) have started
    seen = services.dashboard.for_parent(garcia.user_id, actor=parent)
    assert (seen.today, seen.period_start, seen.period_end) == (
        date(2026, 3, 10),
        date(2026, 3, 1),
        date(2026, 4, 1),
    )
    assert (seen.days_remaining, seen.credits_allocated) == (22, 40)
    # one confirmed (4 used), one pending (4 held), one cancelled early (refunded)
    assert (seen.credits_used, seen.credits_available) == (4, 32)
    assert sorted(c.first_name for c in seen.children) == ["Ana", "Leo"]
    [upcoming] = seen.upcoming_bookings
    assert upcoming.booking_id == booked[2].booking_id
    assert (upcoming.activity_name, upcoming.status) == ("Forest Explorers", "pending")
    assert (seen.pending_suggestions, seen.unread_notifications) == (5, 1)

    stranger = Actor(tenant_id=tenant, role=Role.PARENT, user_id=kim.user_id)
    with pytest.raises(AccessDenied) as refused:
        services.dashboard.for_parent(garcia.user_id, actor=stranger)
    assert refused.value.rule == "own_dashboard"
    admin = Actor(tenant_id=tenant, role=Role.PLATFORM_ADMIN, user_id=kim.user_id)
    assert services.dashboard.for_parent(garcia.user_id, actor=admin) == seen
