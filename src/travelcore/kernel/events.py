"""Domain events: recorded by aggregates, handed out by the unit of work once it commits."""

from __future__ import annotations

from datetime import datetime

import attrs

from travelcore.kernel.ids import TenantId


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Something that happened. Subclasses add their own fields."""

    tenant_id: TenantId
    occurred_at: datetime
    actor: str | None = None
    reason: str | None = None

    @property
    def name(self) -> str:
        return type(self).__name__


@attrs.define
class Aggregate:
    """Mixin for aggregates that collect events until the unit of work takes them."""

    _pending_events: list[DomainEvent] = attrs.field(
        factory=list, init=False, eq=False, repr=False, alias="_pending_events"
    )

    def record(self, event: DomainEvent) -> None:
        self._pending_events.append(event)

    def pull_events(self) -> list[DomainEvent]:
        events, self._pending_events = self._pending_events, []
        return events
