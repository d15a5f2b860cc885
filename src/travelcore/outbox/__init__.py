"""The transactional outbox: committed events, relayed at least once to consumers that
apply each exactly once (DOMAIN.md section 8)."""

from travelcore.outbox.ports import (
    Claim,
    Consumer,
    Inbox,
    InboxUnitOfWork,
    OutboxEntry,
    OutboxStatus,
    OutboxStore,
)
from travelcore.outbox.relay import Relay, RelayReport

__all__ = [
    "Claim",
    "Consumer",
    "Inbox",
    "InboxUnitOfWork",
    "OutboxEntry",
    "OutboxStatus",
    "OutboxStore",
    "Relay",
    "RelayReport",
]
