"""A family-activity world with notifications: the outbox relay feeds the notification
rules, the delivery job sends on memory channels."""

from __future__ import annotations

from collections.abc import Callable
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
from travelcore.testing.world import World
from travelcore_adapters.memory import MemoryDatabase, MemoryNotifier
from travelcore_adapters.notifications import JinjaRenderer


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
            JinjaRenderer(),
            [*self.channels.values(), InAppChannel()],
        )
        self.rules = NotificationRules(self.notify, StaticPolicies())
        self.relay = Relay(outbox, database, [self.rules], clock)

    def settle(self) -> None:
        """Relay every committed event and send whatever is due now."""
        self.relay.drain()
        self.notify.deliver_due(self.tenant, limit=1000)


@pytest.fixture
def memory_world(clock: ManualClock) -> NotifyWorld:
    db = MemoryDatabase()
    return NotifyWorld(db, clock, db.outbox)


@pytest.fixture
def make_world(clock: ManualClock) -> Callable[[], NotifyWorld]:
    def make() -> NotifyWorld:
        db = MemoryDatabase()
        return NotifyWorld(db, clock, db.outbox)

    return make
