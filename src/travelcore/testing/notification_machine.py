"""A hypothesis state machine over a notification's life, for any database.

``notification_machine(make)`` returns a ``RuleBasedStateMachine`` subclass; ``make()``
gives ``(uow_factory, renderer)`` (each example works in a tenant of its own). Rules queue
announcements (normal or urgent, now or scheduled, sometimes twice under one key), turn
channels on and off, set or clear quiet hours, take a provider down or bring it back, let
time pass, run the delivery job, read in-app notifications, and settle (every provider up,
time passing until nothing is pending). Providers record every attempt. After every step,
for every notification:

- it is on a channel its recipient allowed for its type when it was queued, and one
  request key gives at most one notification per channel;
- it was attempted as many times as it counts, never before it fell due, and sent at most
  once: ``sent`` after exactly one successful attempt (its last), ``queued`` before any
  attempt, ``failed`` after failed attempts with attempts left and due again after the
  backoff, ``parked`` once its attempts ran out;
- no attempt of a non-urgent email or sms fell in its recipient's quiet hours (as they
  were then, set before or after it was queued);
- only in-app notifications are read, and reading changes nothing else.

Settling checks that a failed notification is retried until it is sent or gives up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from travelcore.kernel import ManualClock, RetryPolicy, TenantId, UserId, new_uuid
from travelcore.notifications import (
    Channel,
    DeliveryFailed,
    MarkRead,
    Notification,
    NotificationId,
    NotificationRequest,
    NotificationService,
    NotificationStatus,
    NotificationType,
    OutgoingMessage,
    Priority,
    QuietHours,
    SwitchChannel,
    TemplateRenderer,
    UpdatePreferences,
)
from travelcore.testing.actors import admin, job
from travelcore.testing.builders import a_corporate, a_parent

T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, base=timedelta(minutes=10), cap=timedelta(minutes=40))
KIND = NotificationType.SYSTEM_ANNOUNCEMENT
LOUD = (Channel.EMAIL, Channel.SMS)
WINDOWS = (
    None,
    QuietHours(start=time(7), end=time(8), timezone="UTC"),
    QuietHours(start=time(22), end=time(7), timezone="Europe/Lisbon"),
    QuietHours(start=time(6, 30), end=time(9), timezone="America/New_York"),
)


@attrs.frozen
class Attempt:
    notification_id: NotificationId
    at: datetime
    ok: bool


class Provider:
    """A channel's provider that records every attempt and fails while down."""

    def __init__(self, channel: Channel, clock: ManualClock) -> None:
        self.channel = channel
        self.clock = clock
        self.up = True
        self.attempts: list[Attempt] = []

    def send(self, message: OutgoingMessage) -> str:
        self.attempts.append(Attempt(message.notification_id, self.clock.now(), self.up))
        if not self.up:
            raise DeliveryFailed(f"{self.channel} provider unavailable")
        return f"{self.channel}:{len(self.attempts)}"


@attrs.frozen
class Queued:
    """What held when a notification was queued."""

    user_id: UserId
    allowed: frozenset[Channel]
    due: datetime


def notification_machine(
    make: Callable[[], tuple[Any, TemplateRenderer]],
) -> type[RuleBasedStateMachine]:
    class NotificationMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db, renderer = make()
            self.clock = ManualClock(T0)
            self.tenant = TenantId(new_uuid())
            self.providers = {c: Provider(c, self.clock) for c in (*LOUD, Channel.IN_APP)}
            self.notify = NotificationService(
                self.db,
                self.clock,
                renderer=renderer,
                notifiers=self.providers.values(),
                retry=RETRY,
            )
            self.keys = itertools.count()
            self.users: list[UserId] = []
            with self.db(self.tenant) as uow:
                corporate = a_corporate(self.tenant)
                uow.corporates.add(corporate)
                for _ in range(2):
                    parent = a_parent(self.tenant, corporate)
                    uow.users.add(parent)
                    self.users.append(parent.id)
                uow.commit()
            self.allowed = {u: {Channel.EMAIL, Channel.IN_APP} for u in self.users}
            self.quiet: dict[UserId, QuietHours | None] = dict.fromkeys(self.users)
            for user in self.users:
                self._preferences(user, addresses={Channel.SMS: "+15550100"})
            self.queued: dict[NotificationId, Queued] = {}
            self.requests: list[NotificationRequest] = []
            self.checked = dict.fromkeys(self.providers, 0)

        def _key(self) -> str:
            return f"k-{next(self.keys)}"

        def _preferences(self, user: UserId, **changes: Any) -> None:
            self.notify.update_preferences(
                UpdatePreferences(
                    tenant_id=self.tenant, user_id=user, idempotency_key=self._key(), **changes
                ),
                actor=admin(self.tenant),
            )

        def _all(self) -> list[Notification]:
            return [
                n
                for user in self.users
                for n in self.notify.history(self.tenant, user, actor=admin(self.tenant))
            ]

        def _queue(self, request: NotificationRequest) -> list[Notification]:
            now = self.clock.now()
            with self.db(self.tenant) as uow:
                created = self.notify.create(uow, request, now)
                uow.commit()
            quiet = self.quiet[request.user_id]
            for n in created:
                due = request.scheduled_for or now
                if quiet is not None and n.channel in LOUD and n.priority is not Priority.URGENT:
                    due = quiet.release(due)
                allowed = frozenset(self.allowed[request.user_id])
                self.queued[n.id] = Queued(request.user_id, allowed, due)
            return created

        # -- rules -------------------------------------------------------------------------

        @rule(
            user=st.integers(0, 1),
            urgent=st.booleans(),
            later=st.sampled_from([None, 30, 120, 600]),
        )
        def announce(self, user: int, urgent: bool, later: int | None) -> None:
            now = self.clock.now()
            request = NotificationRequest(
                user_id=self.users[user],
                type=KIND,
                key=self._key(),
                values={"subject": "News", "message": "The pool is open"},
                priority=Priority.URGENT if urgent else Priority.NORMAL,
                scheduled_for=None if later is None else now + timedelta(minutes=later),
            )
            self.requests.append(request)
            self._queue(request)

        @precondition(lambda self: self.requests)
        @rule(data=st.data())
        def ask_again(self, data: st.DataObject) -> None:
            """The same cause again (a repeated event): nothing is queued twice on a
            channel (a channel turned on since may get its first)."""
            request = data.draw(st.sampled_from(self.requests))
            before = {n.channel for n in self._all() if n.key.startswith(f"{request.key}:")}
            assert not {n.channel for n in self._queue(request)} & before

        @rule(user=st.integers(0, 1), channel=st.sampled_from(LOUD), on=st.booleans())
        def switch(self, user: int, channel: Channel, on: bool) -> None:
            user_id = self.users[user]
            self.notify.switch_channel(
                SwitchChannel(
                    tenant_id=self.tenant,
                    user_id=user_id,
                    type=KIND,
                    channel=channel,
                    enabled=on,
                    idempotency_key=self._key(),
                ),
                actor=admin(self.tenant),
            )
            (self.allowed[user_id].add if on else self.allowed[user_id].discard)(channel)

        @rule(user=st.integers(0, 1), window=st.sampled_from(WINDOWS))
        def quiet_hours(self, user: int, window: QuietHours | None) -> None:
            user_id = self.users[user]
            if window is None:
                self._preferences(user_id, clear_quiet_hours=True)
            else:
                self._preferences(user_id, quiet_hours=window)
            self.quiet[user_id] = window

        @rule(channel=st.sampled_from(LOUD), up=st.booleans())
        def provider(self, channel: Channel, up: bool) -> None:
            self.providers[channel].up = up

        @rule(minutes=st.sampled_from([1, 10, 45, 180, 720]))
        def wait(self, minutes: int) -> None:
            self.clock.advance(timedelta(minutes=minutes))

        @rule(limit=st.integers(1, 20))
        def deliver(self, limit: int) -> None:
            self.notify.deliver_due(self.tenant, limit, actor=job(self.tenant))
            self._check_quiet_hours()

        @rule(data=st.data())
        def read(self, data: st.DataObject) -> None:
            in_app = [n for n in self._all() if n.channel is Channel.IN_APP]
            if not in_app:
                return
            before = data.draw(st.sampled_from(in_app))
            after = self.notify.mark_read(
                MarkRead(
                    tenant_id=self.tenant,
                    user_id=before.user_id,
                    notification_id=before.id,
                    idempotency_key=self._key(),
                ),
                actor=admin(self.tenant),
            )
            assert after.read_at is not None
            assert _delivery(after) == _delivery(before)

        @rule()
        def settle(self) -> None:
            """Every provider up and time passing: everything pending goes out or gives up."""
            for provider in self.providers.values():
                provider.up = True
            for _ in range(RETRY.max_attempts + 3):
                pending = [n for n in self._all() if n.pending]
                if not pending:
                    break
                self.clock.set(max(self.clock.now(), *(n.due_at for n in pending)))
                self.notify.deliver_due(self.tenant, 1000, actor=job(self.tenant))
                self._check_quiet_hours()
            assert [n for n in self._all() if n.pending] == []

        def _check_quiet_hours(self) -> None:
            """The attempts since the last check fell outside the quiet hours of the time."""
            for channel in LOUD:
                provider = self.providers[channel]
                for attempt in provider.attempts[self.checked[channel] :]:
                    queued = self.queued[attempt.notification_id]
                    quiet = self.quiet[queued.user_id]
                    [notification] = [n for n in self._all() if n.id == attempt.notification_id]
                    if quiet is not None and notification.priority is not Priority.URGENT:
                        assert quiet.release(attempt.at) == attempt.at, (attempt, quiet)
                self.checked[channel] = len(provider.attempts)

        # -- invariants --------------------------------------------------------------------

        @invariant()
        def every_notification_is_where_its_attempts_put_it(self) -> None:
            attempts: dict[NotificationId, list[Attempt]] = {}
            for provider in self.providers.values():
                for attempt in provider.attempts:
                    attempts.setdefault(attempt.notification_id, []).append(attempt)
            stored = self._all()
            assert {n.id for n in stored} == set(self.queued)
            keys = [n.key for n in stored]
            assert len(keys) == len(set(keys))
            for n in stored:
                queued, tried = self.queued[n.id], attempts.get(n.id, [])
                assert n.channel in queued.allowed
                assert len(tried) == n.attempts
                assert all(a.at >= queued.due for a in tried)
                successes = [a for a in tried if a.ok]
                assert len(successes) <= 1
                if n.status is NotificationStatus.SENT:
                    assert tried[-1].ok
                    assert n.sent_at == tried[-1].at
                    assert n.external_id is not None
                else:
                    assert successes == []
                if n.status is NotificationStatus.QUEUED:
                    assert tried == []
                if n.status is NotificationStatus.FAILED:
                    assert 0 < n.attempts < RETRY.max_attempts
                    assert n.due_at >= tried[-1].at + RETRY.delay(n.attempts)
                if n.status is NotificationStatus.PARKED:
                    assert n.attempts == RETRY.max_attempts
                if n.read_at is not None:
                    assert n.channel is Channel.IN_APP

    return NotificationMachine


def _delivery(n: Notification) -> tuple[Any, ...]:
    return (n.status, n.attempts, n.due_at, n.sent_at, n.external_id, n.last_error)
