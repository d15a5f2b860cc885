"""Quiet hours, channel preferences, backoff and the language fallback."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from travelcore.kernel import RetryPolicy, TenantId, UserId, ValidationFailed, new_uuid
from travelcore.notifications import (
    DEFAULT_CHANNELS,
    Channel,
    NotificationPreferences,
    NotificationType,
    QuietHours,
    language_chain,
)


def test_quiet_hours_across_midnight_release_at_their_end_in_the_users_zone() -> None:
    quiet = QuietHours(start=time(22), end=time(7), timezone="Europe/Paris")
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert quiet.release(late) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 Paris
    early = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # 05:00 in Paris
    assert quiet.release(early) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    day = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert quiet.release(day) == day


def test_quiet_hours_within_a_day() -> None:
    quiet = QuietHours(start=time(12), end=time(14), timezone="UTC")
    assert quiet.release(datetime(2026, 3, 3, 13, tzinfo=UTC)) == datetime(
        2026, 3, 3, 14, tzinfo=UTC
    )
    with pytest.raises(ValidationFailed) as info:
        QuietHours(start=time(1), end=time(1), timezone="UTC")
    assert info.value.field == "end"
    with pytest.raises(ValidationFailed) as info:
        QuietHours(start=time(1), end=time(2), timezone="Mars/Olympus")
    assert info.value.field == "timezone"


def test_in_app_cannot_be_turned_off_and_other_channels_follow_the_user() -> None:
    prefs = NotificationPreferences(tenant_id=TenantId(new_uuid()), user_id=UserId(new_uuid()))
    kind = NotificationType.BOOKING_REMINDER
    assert prefs.enabled(kind) == DEFAULT_CHANNELS
    prefs.switch(kind, Channel.SMS, True)
    prefs.switch(kind, Channel.EMAIL, False)
    assert prefs.enabled(kind) == {Channel.SMS, Channel.PUSH, Channel.IN_APP}
    assert prefs.enabled(NotificationType.BOOKING_CONFIRMED) == DEFAULT_CHANNELS
    with pytest.raises(ValidationFailed) as info:
        prefs.switch(kind, Channel.IN_APP, False)
    assert (info.value.field, info.value.rule) == ("channel", "in_app_always_on")


def test_backoff_doubles_up_to_its_cap_and_then_parks() -> None:
    retry = RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(seconds=30))
    assert [retry.delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=s) for s in (10, 20, 30, 30)
    ]
    assert not retry.exhausted(3)
    assert retry.exhausted(4)
    with pytest.raises(ValidationFailed):
        RetryPolicy(max_attempts=0)


def test_language_chain_ends_in_english_without_repeats() -> None:
    assert language_chain("pt-BR", None, "de") == ["pt-BR", "de", "en"]
    assert language_chain("en", "en") == ["en"]
