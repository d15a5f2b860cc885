"""A family-activity world with notifications: the outbox relay feeds the notification
rules, the delivery job sends on memory channels."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from travelcore.kernel import ManualClock, StaticPolicies
from travelcore.notifications import (
    Channel,
    InAppChannel,
    NotificationRules,
    NotificationService,
)
from travelcore.outbox import Relay
from travelcore.testing.actors import job
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase, MemoryNotifier
from travelcore_adapters.notifications import JinjaRenderer
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox
from travelcore_adapters.postgres.provision import ProvisionedDatabase, provision_database


class NotifyWorld(World):
    def __init__(self, database: Any, clock: ManualClock, outbox: Any, **notifiers: Any) -> None:
        super().__init__(database, clock)
        self.channels = {
            channel: MemoryNotifier(channel)
            for channel in (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.WHATSAPP)
        }
        self.notify = NotificationService(
            database,
            clock,
            renderer=JinjaRenderer(),
            notifiers=[*self.channels.values(), InAppChannel()],
        )
        self.rules = NotificationRules(self.notify, StaticPolicies())
        self.outbox = outbox
        self.relay = Relay(database, clock, outbox=outbox, consumers=[self.rules])

    def settle(self) -> None:
        """Relay every committed event and send whatever is due now."""
        self.relay.drain()
        self.notify.deliver_due(self.tenant, limit=1000, actor=job(self.tenant))


@pytest.fixture
def memory_world(clock: ManualClock) -> NotifyWorld:
    db = MemoryDatabase()
    return NotifyWorld(db, clock, db.outbox)


@pytest.fixture(scope="module")
def outbox_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    """A database of its own: relays deliver every tenant's events, so no other test's
    events may be waiting in its outbox."""
    return provision_database(postgres_superuser_url)


@pytest.fixture(scope="module")
def outbox_postgres(outbox_database: ProvisionedDatabase) -> Iterator[PostgresDatabase]:
    with PostgresDatabase(outbox_database.app_url, pool_size=4) as database:
        yield database


@pytest.fixture(params=["memory", "postgres"])
def make_world(
    request: pytest.FixtureRequest, clock: ManualClock
) -> Iterator[Callable[[], NotifyWorld]]:
    outboxes: list[PostgresOutbox] = []

    def make() -> NotifyWorld:
        if request.param == "memory":
            db = MemoryDatabase()
            return NotifyWorld(db, clock, db.outbox)
        database: PostgresDatabase = request.getfixturevalue("outbox_postgres")
        outbox = PostgresOutbox(database.engine)
        outboxes.append(outbox)
        return NotifyWorld(database, clock, outbox)

    yield make
    for outbox in outboxes:
        outbox.close()


@pytest.fixture
def world(make_world: Callable[[], NotifyWorld]) -> NotifyWorld:
    return make_world()
