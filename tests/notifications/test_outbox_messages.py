"""Outbox messages: an event's aggregate, its type name and its payload, through the one
serialization path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from travelcore.booking import BookingStatus, BookingStatusChanged
from travelcore.kernel import (
    DomainEvent,
    TenantId,
    UserId,
    ValidationFailed,
    aggregate_of,
    event_class,
    new_uuid,
    outbox_message,
)


def a_change() -> BookingStatusChanged:
    return BookingStatusChanged(
        tenant_id=TenantId(new_uuid()),
        occurred_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        booking_id=new_uuid(),  # type: ignore[arg-type]
        session_id=new_uuid(),  # type: ignore[arg-type]
        child_id=new_uuid(),  # type: ignore[arg-type]
        parent_id=UserId(new_uuid()),
        from_status=None,
        to_status=BookingStatus.CONFIRMED,
        credits=5,
    )


def test_a_message_carries_the_event_its_aggregate_and_type() -> None:
    event = a_change()
    message = outbox_message(event)
    assert message.aggregate == str(event.booking_id) == aggregate_of(event)
    assert message.event_type == "BookingStatusChanged"
    assert message.payload["to_status"] == "confirmed"
    assert message.event() == event


def test_event_types_resolve_to_the_class_their_module_exports() -> None:
    # a stale copy (what attrs leaves behind when it makes a slotted class) is ignored
    stale = type(
        "BookingStatusChanged",
        (DomainEvent,),
        {"__module__": BookingStatusChanged.__module__, "__qualname__": "BookingStatusChanged"},
    )
    assert event_class("BookingStatusChanged") is BookingStatusChanged
    assert stale is not BookingStatusChanged
    with pytest.raises(ValidationFailed) as info:
        event_class("NoSuchEvent")
    assert info.value.rule == "known_event"
