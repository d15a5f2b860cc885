"""Who gets what, on which channel and when: events relayed from the outbox become
notifications, the delivery job sends them once, in-app ones can be read."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest

from travelcore.booking import (
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    ConfirmBooking,
    JoinWaitlist,
)
from travelcore.kernel import AccessDenied, ValidationFailed, new_uuid
from travelcore.notifications import (
    Announce,
    Channel,
    MarkRead,
    NotificationStatus,
    NotificationType,
    Priority,
    QuietHours,
    SwitchChannel,
    UpdatePreferences,
)
from travelcore.testing.actors import admin, job
from travelcore.travel import ReminderDue, ReminderId, TripId

from .conftest import NotifyWorld


def book(world: NotifyWorld, session: object, parent: object, child: object) -> object:
    receipt = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session,  # type: ignore[arg-type]
            child_id=child,  # type: ignore[arg-type]
            parent_id=parent,  # type: ignore[arg-type]
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
    return receipt.booking_id


def kinds(world: NotifyWorld, parent: object, channel: Channel | None = None) -> list[str]:
    return sorted(
        f"{n.type}/{n.channel}/{n.status}"
        for n in world.notify.history(world.tenant, parent, actor=admin(world.tenant))  # type: ignore[arg-type]
        if channel in (None, n.channel)
    )


def test_a_confirmed_booking_sends_email_and_in_app_and_queues_reminders(
    world: NotifyWorld,
) -> None:
    parent, [child] = world.family()
    session = world.session(starts_in=timedelta(days=7))
    booking = book(world, session, parent, child)
    world.settle()

    history = world.notify.history(world.tenant, parent, actor=admin(world.tenant))  # type: ignore[arg-type]
    sent = {(n.type, n.channel) for n in history if n.status is NotificationStatus.SENT}
    assert sent == {
        (NotificationType.BOOKING_CONFIRMED, Channel.EMAIL),
        (NotificationType.BOOKING_CONFIRMED, Channel.IN_APP),
    }  # push is on by default, but the parent has no device token
    queued = sorted(
        (n.type, n.channel, n.scheduled_for)
        for n in history
        if n.status is NotificationStatus.QUEUED
    )
    starts = world.get_session(session).starts_at
    ends = world.get_session(session).ends_at
    assert {(t, s) for t, _, s in queued} == {
        (NotificationType.BOOKING_REMINDER, starts - timedelta(hours=24)),
        (NotificationType.BOOKING_REMINDER, starts - timedelta(hours=1)),
        (NotificationType.FEEDBACK_REQUEST, ends + timedelta(hours=1)),
    }
    [mail] = world.channels[Channel.EMAIL].sent
    assert "@" in mail.to
    assert "Kid0" in mail.body
    assert "booked" in mail.body
    assert mail.html is not None
    assert mail.html.startswith("<p>")
    assert all(n.related_entity_id == booking for n in history)


def test_scheduled_reminders_and_feedback_fall_due_and_go_out_exactly_once(
    world: NotifyWorld,
) -> None:
    parent, [child] = world.family()
    session = world.session(starts_in=timedelta(days=3))
    book(world, session, parent, child)
    world.settle()
    email = world.channels[Channel.EMAIL]
    starts = world.get_session(session).starts_at
    world.clock.set(starts - timedelta(hours=24))
    assert (
        world.notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 2
    )  # email + in_app
    assert world.notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 0
    assert [m.title for m in email.sent][-1].startswith("Reminder:")
    assert "tomorrow" in email.sent[-1].title
    world.clock.set(starts - timedelta(hours=1))
    world.notify.deliver_due(world.tenant, actor=job(world.tenant))
    assert "in an hour" in email.sent[-1].title
    world.clock.set(world.get_session(session).ends_at + timedelta(hours=1))
    world.notify.deliver_due(world.tenant, actor=job(world.tenant))
    assert email.sent[-1].title.startswith("How was")
    assert len(email.sent) == 4
    assert world.notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 0


def test_two_senders_at_once_send_every_notification_once(world: NotifyWorld) -> None:
    for _ in range(6):
        parent, [child] = world.family()
        book(world, world.session(), parent, child)
    world.relay.drain()
    threads = [
        threading.Thread(
            target=world.notify.deliver_due,
            args=(world.tenant, 1000),
            kwargs={"actor": job(world.tenant)},
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = world.channels[Channel.EMAIL].sent
    assert len(sent) == 6
    assert len({m.notification_id for m in sent}) == 6


def test_a_venue_cancellation_tells_every_parent_urgently_and_drops_their_reminders(
    world: NotifyWorld,
) -> None:
    session = world.session(starts_in=timedelta(days=5))
    parents = []
    for _ in range(2):
        parent, [child] = world.family()
        book(world, session, parent, child)
        parents.append(parent)
    world.settle()
    world.bookings.cancel_session(
        CancelSession(
            tenant_id=world.tenant, session_id=session, reason="flood", idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    world.settle()
    for parent in parents:
        history = world.notify.history(world.tenant, parent, actor=admin(world.tenant))
        [cancelled] = [
            n
            for n in history
            if n.type is NotificationType.BOOKING_CANCELLED_VENUE and n.channel is Channel.EMAIL
        ]
        assert cancelled.priority is Priority.HIGH
        assert cancelled.status is NotificationStatus.SENT
        assert "5 credits are back" in cancelled.body
        reminders = [n for n in history if n.type is NotificationType.BOOKING_REMINDER]
        assert reminders
        assert all(n.status is NotificationStatus.PARKED for n in reminders)
    world.clock.advance(timedelta(days=10))
    assert world.notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 0


def test_a_parent_cancelling_drops_the_reminders_without_a_message(
    world: NotifyWorld,
) -> None:
    parent, [child] = world.family()
    booking = book(world, world.session(), parent, child)
    world.settle()
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=booking,  # type: ignore[arg-type]
            reason=CancellationReason.CHILD_SICK,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.settle()
    assert kinds(world, parent, Channel.EMAIL) == [
        "booking_confirmed/email/sent",
        "booking_reminder/email/parked",
        "booking_reminder/email/parked",
        "feedback_request/email/parked",
    ]


def test_a_waitlist_offer_carries_its_deadline_and_its_expiry_is_told(
    world: NotifyWorld,
) -> None:
    session = world.session(capacity=1, starts_in=timedelta(days=6))
    first, [first_child] = world.family()
    booking = book(world, session, first, first_child)
    waiting, [waiting_child] = world.family()
    world.waitlist.join(
        JoinWaitlist(
            tenant_id=world.tenant,
            session_id=session,
            child_id=waiting_child,
            parent_id=waiting,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=booking,  # type: ignore[arg-type]
            reason=CancellationReason.CHILD_SICK,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.settle()
    [offer] = [
        n
        for n in world.notify.history(world.tenant, waiting, actor=admin(world.tenant))
        if n.type is NotificationType.WAITLIST_SPOT and n.channel is Channel.EMAIL
    ]
    assert offer.priority is Priority.HIGH
    deadline = datetime.fromisoformat(offer.data["offer_expires_at"])
    assert deadline == world.clock.now() + timedelta(hours=4)
    assert "until" in offer.body
    world.clock.advance(timedelta(hours=5))
    world.waitlist.expire_offers(world.tenant, actor=job(world.tenant))
    world.settle()
    assert "offer_expired/email/sent" in kinds(world, waiting)


def test_credit_expiry_warnings_and_trip_reminders_become_notifications(
    world: NotifyWorld,
) -> None:
    parent, _ = world.family(credits=30)
    world.clock.set(datetime(2026, 3, 25, 12, tzinfo=UTC))
    assert world.ledger.send_expiry_warnings(world.tenant, actor=job(world.tenant)) == 1
    with world.db(world.tenant) as uow:
        uow.emit(
            ReminderDue(
                tenant_id=world.tenant,
                occurred_at=world.clock.now(),
                reminder_id=ReminderId(new_uuid()),
                trip_id=TripId(new_uuid()),
                user_id=parent,
                message="Your trip to Lisbon departs tomorrow.",
            )
        )
        uow.commit()
    world.settle()
    mails = world.channels[Channel.EMAIL].sent
    titles = {m.title: m for m in mails}
    assert set(titles) == {"30 credits expire Wed 01 Apr 2026, 00:00 UTC", "Trip reminder"}
    assert "Lisbon" in titles["Trip reminder"].body


def test_preferences_turn_channels_off_and_quiet_hours_wait_unless_urgent(
    world: NotifyWorld,
) -> None:
    parent, [child] = world.family()
    notify = world.notify
    notify.switch_channel(
        SwitchChannel(
            tenant_id=world.tenant,
            user_id=parent,
            type=NotificationType.BOOKING_CONFIRMED,
            channel=Channel.EMAIL,
            enabled=False,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    notify.switch_channel(
        SwitchChannel(
            tenant_id=world.tenant,
            user_id=parent,
            type=NotificationType.SYSTEM_ANNOUNCEMENT,
            channel=Channel.SMS,
            enabled=True,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    with pytest.raises(ValidationFailed):
        notify.switch_channel(
            SwitchChannel(
                tenant_id=world.tenant,
                user_id=parent,
                type=NotificationType.BOOKING_CONFIRMED,
                channel=Channel.IN_APP,
                enabled=False,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    now = world.clock.now()  # 09:00 UTC: inside 08:00-10:00 quiet hours
    notify.update_preferences(
        UpdatePreferences(
            tenant_id=world.tenant,
            user_id=parent,
            quiet_hours=QuietHours(start=time(8), end=time(10), timezone="UTC"),
            addresses={Channel.SMS: "+15550100"},
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    book(world, world.session(), parent, child)
    for priority in (Priority.NORMAL, Priority.URGENT):
        notify.announce(
            Announce(
                tenant_id=world.tenant,
                user_ids=(parent,),
                subject=f"{priority} news",
                message="Pool closed",
                priority=priority,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    world.settle()
    assert kinds(world, parent, Channel.IN_APP) == [
        "booking_confirmed/in_app/sent",
        "booking_reminder/in_app/queued",
        "booking_reminder/in_app/queued",
        "feedback_request/in_app/queued",
        "system_announcement/in_app/sent",
        "system_announcement/in_app/sent",
    ]
    sms = world.channels[Channel.SMS].sent
    assert [m.title for m in sms] == ["urgent news"]  # normal waits for 10:00
    assert not [m for m in world.channels[Channel.EMAIL].sent if "Booked" in m.title]
    world.clock.set(now.replace(hour=10))
    world.notify.deliver_due(world.tenant, actor=job(world.tenant))
    assert [m.title for m in sms] == ["urgent news", "normal news"]
    assert sms[0].to == "+15550100"


def test_the_in_app_centre_lists_counts_and_marks_read(world: NotifyWorld) -> None:
    parent, [child] = world.family()
    other, _ = world.family()
    book(world, world.session(), parent, child)
    world.settle()
    [item] = world.notify.inbox(world.tenant, parent, actor=admin(world.tenant))
    assert world.notify.unread_count(world.tenant, parent, actor=admin(world.tenant)) == 1
    with pytest.raises(AccessDenied):
        world.notify.mark_read(
            MarkRead(
                tenant_id=world.tenant,
                user_id=other,
                notification_id=item.id,
                idempotency_key=world.key(),
            ),
            actor=admin(world.tenant),
        )
    read = world.notify.mark_read(
        MarkRead(
            tenant_id=world.tenant,
            user_id=parent,
            notification_id=item.id,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    assert read.read_at == world.clock.now()
    assert world.notify.unread_count(world.tenant, parent, actor=admin(world.tenant)) == 0
    assert (
        world.notify.inbox(world.tenant, parent, unread_only=True, actor=admin(world.tenant)) == []
    )
    assert len(world.notify.inbox(world.tenant, parent, actor=admin(world.tenant))) == 1


def test_a_channel_down_fails_retries_with_backoff_then_parks(
    make_world: Callable[[], NotifyWorld],
) -> None:
    world = make_world()
    parent, [child] = world.family()
    email = world.channels[Channel.EMAIL]
    email.available = False
    book(world, world.session(), parent, child)
    world.settle()
    [mail] = [
        n
        for n in world.notify.history(world.tenant, parent, actor=admin(world.tenant))
        if n.channel is Channel.EMAIL and n.type is NotificationType.BOOKING_CONFIRMED
    ]
    assert mail.status is NotificationStatus.FAILED
    assert mail.attempts == 1
    assert mail.due_at == world.clock.now() + timedelta(seconds=30)
    assert "unavailable" in (mail.last_error or "")
    assert (
        world.notify.deliver_due(world.tenant, actor=job(world.tenant)).failed == 0
    )  # not due yet
    for delay in (30, 60, 120, 240, 480):
        world.clock.advance(timedelta(seconds=delay))
        world.notify.deliver_due(world.tenant, actor=job(world.tenant))
    history = {
        n.id: n for n in world.notify.history(world.tenant, parent, actor=admin(world.tenant))
    }
    assert history[mail.id].status is NotificationStatus.PARKED
    assert history[mail.id].attempts == 6
    assert email.sent == []


def test_a_redelivered_event_creates_nothing_twice(world: NotifyWorld) -> None:
    parent, [child] = world.family()
    book(world, world.session(), parent, child)
    [message] = [
        e.message
        for e in world.outbox.entries(world.tenant)
        if e.message.payload.get("to_status") == "confirmed"
    ]
    for _ in range(2):  # a consumer that sees the same event twice
        with world.db(world.tenant) as uow:
            world.rules.handle(uow, message)
            uow.commit()
    assert len(world.notify.history(world.tenant, parent, actor=admin(world.tenant))) == 8
    with world.db(world.tenant) as uow:
        now = world.clock.now()
        assert uow.inbox.admit("notifications", [message.event_id], now) == {message.event_id}
        assert uow.inbox.admit("notifications", [message.event_id], now) == set()
