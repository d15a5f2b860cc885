"""The composition root wires notifications, the outbox and its relay the same way on
memory and on PostgreSQL: a confirmed booking, relayed, is a notification the delivery job
sends once, and extra consumers get every committed event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from travelcore.booking import BookSession, ConfirmBooking
from travelcore.kernel import ManualClock, OutboxMessage, TenantId
from travelcore.notifications import Channel, NotificationStatus, NotificationType
from travelcore.outbox import RelayReport
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore_adapters import bootstrap
from travelcore_adapters.memory import MemoryNotifier
from travelcore_adapters.postgres import ProvisionedDatabase, provision_database

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
OpenApp = Callable[..., bootstrap.App]


class EventTypes:
    """An outbox consumer that keeps the type of every event it is given, per tenant."""

    name = "event-types"

    def __init__(self) -> None:
        self.seen: dict[TenantId, list[str]] = {}

    def handle(self, uow: Any, message: OutboxMessage) -> None:
        self.seen.setdefault(message.tenant_id, []).append(message.event_type)


@pytest.fixture(scope="module")
def relay_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    """A database of its own: the relay delivers every tenant's events."""
    return provision_database(postgres_superuser_url)


@pytest.fixture(params=["memory", "postgres"])
def open_app(request: pytest.FixtureRequest) -> Iterator[OpenApp]:
    opened: list[bootstrap.App] = []

    def open_app(**parts: Any) -> bootstrap.App:
        if request.param == "memory":
            app = bootstrap.memory(**parts)
        else:
            db: ProvisionedDatabase = request.getfixturevalue("relay_database")
            app = bootstrap.postgres(db.app_url, pool_size=2, **parts)
        opened.append(app)
        return app

    yield open_app
    for app in opened:
        app.close()


def test_a_relayed_booking_is_sent_once_on_every_wired_channel(open_app: OpenApp) -> None:
    clock = ManualClock(NOW)
    email = MemoryNotifier(Channel.EMAIL)
    types = EventTypes()
    app = open_app(clock=clock, notifiers=[email], consumers=[types])
    world = World(app.database, clock)
    parent, [child] = world.family()
    receipt = app.booking.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=world.session(),
            child_id=child,
            parent_id=parent,
            idempotency_key="book-1",
        ),
        actor=admin(world.tenant),
    )
    app.booking.confirm(
        ConfirmBooking(
            tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key="confirm-1"
        ),
        actor=admin(world.tenant),
    )

    report = app.relay.drain()
    assert report.delivered > 0
    assert app.relay.drain() == RelayReport()
    assert types.seen[world.tenant].count("BookingStatusChanged") == 2  # pending, confirmed
    delivery = job(world.tenant, "notifications")
    assert app.notifications.deliver_due(world.tenant, limit=100, actor=delivery).sent == 1
    assert app.notifications.deliver_due(world.tenant, limit=100, actor=delivery).sent == 0
    [mail] = email.sent
    with app.database(world.tenant) as uow:
        assert mail.to == uow.users.get(parent).email
    sent = {
        n.type
        for n in app.notifications.history(world.tenant, parent, actor=admin(world.tenant))
        if n.status is NotificationStatus.SENT
    }
    assert sent == {NotificationType.BOOKING_CONFIRMED}
    assert (
        app.notifications.unread_count(world.tenant, parent, actor=admin(world.tenant)) == 0
    )  # no in-app notifier: it waits


def test_in_app_is_the_default_channel(open_app: OpenApp) -> None:
    clock = ManualClock(NOW)
    app = open_app(clock=clock)
    world = World(app.database, clock)
    parent, [child] = world.family()
    receipt = app.booking.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=world.session(starts_in=timedelta(days=3)),
            child_id=child,
            parent_id=parent,
            idempotency_key="book-1",
        ),
        actor=admin(world.tenant),
    )
    app.booking.confirm(
        ConfirmBooking(
            tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key="confirm-1"
        ),
        actor=admin(world.tenant),
    )
    app.relay.drain()
    app.notifications.deliver_due(world.tenant, actor=job(world.tenant, "notifications"))
    assert app.notifications.unread_count(world.tenant, parent, actor=admin(world.tenant)) == 1
