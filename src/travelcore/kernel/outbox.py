"""The transactional outbox's record of a domain event.

The unit of work turns every event it commits into an :class:`OutboxMessage` and writes it
in the same transaction as the change (see ``UnitOfWorkBase.commit``); a relay delivers it
afterwards (``travelcore.outbox``). The payload goes through the one serialization path.

An event's *aggregate* is the value of the first field its class declares beyond
:class:`~travelcore.kernel.events.DomainEvent`'s own (``booking_id`` for a booking's
events): the relay keeps commit order per tenant and aggregate.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from travelcore.kernel.errors import ValidationFailed
from travelcore.kernel.events import DomainEvent
from travelcore.kernel.ids import TenantId, new_uuid
from travelcore.kernel.serialization import from_data, to_data

_BASE_FIELDS = frozenset(a.name for a in attrs.fields(DomainEvent))
_registry: dict[str, type[DomainEvent]] = {}
_aggregate_fields: dict[type[DomainEvent], str | None] = {}


@attrs.frozen(kw_only=True)
class OutboxMessage:
    event_id: UUID
    tenant_id: TenantId
    aggregate: str
    event_type: str
    payload: dict[str, Any]
    occurred_at: datetime
    sequence: int = 0
    """Commit order, assigned by the outbox store (0 until stored)."""

    def event(self) -> DomainEvent:
        """The event, rebuilt from its payload."""
        return from_data(self.payload, event_class(self.event_type))


def aggregate_of(event: DomainEvent) -> str:
    cls = type(event)
    try:
        name = _aggregate_fields[cls]
    except KeyError:
        fields = (f.name for f in attrs.fields(cls) if f.name not in _BASE_FIELDS)
        name = _aggregate_fields[cls] = next(fields, None)
    return cls.__name__ if name is None else str(getattr(event, name))


def outbox_message(event: DomainEvent) -> OutboxMessage:
    return OutboxMessage(
        event_id=new_uuid(),
        tenant_id=event.tenant_id,
        aggregate=aggregate_of(event),
        event_type=event.name,
        payload=to_data(event),
        occurred_at=event.occurred_at,
    )


def event_class(name: str) -> type[DomainEvent]:
    """The imported :class:`DomainEvent` subclass called ``name``."""
    found = _registry.get(name)
    if found is None:
        _registry.clear()
        _register(DomainEvent)
        found = _registry.get(name)
    if found is None:
        raise ValidationFailed("event_type", "known_event", f"no event class {name!r} imported")
    return found


def _register(cls: type[DomainEvent]) -> None:
    for sub in cls.__subclasses__():
        _register(sub)
        if _published(sub) is not sub:  # its module exports another class by that name
            continue
        other = _registry.get(sub.__name__)
        if other is None or _replaces(sub, other):
            _registry[sub.__name__] = sub
        elif other is not sub and not _replaces(other, sub):
            raise ValidationFailed(
                "event_type",
                "unique_name",
                f"two event classes are called {sub.__name__}: {other.__module__}, "
                f"{sub.__module__}",
            )


def _replaces(new: type, old: type) -> bool:
    """``new`` is the slotted class attrs made of ``old`` (which lingers until collected)."""
    same = (new.__module__, new.__qualname__) == (old.__module__, old.__qualname__)
    return same and "__slots__" in new.__dict__ and "__slots__" not in old.__dict__


def _published(cls: type) -> object:
    """What ``cls``'s module calls it (for a class defined in a function: ``cls``)."""
    module = sys.modules.get(cls.__module__)
    if module is None or "<locals>" in cls.__qualname__:
        return cls
    found: object = module
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return found
