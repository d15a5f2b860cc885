"""Contract suites for the notifications repositories: notifications, preferences and
templates (the adapter's test module provides ``uow_factory``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    FIRST_VERSION,
    AlreadyExists,
    StaleVersion,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.notifications import (
    Channel,
    Notification,
    NotificationId,
    NotificationPreferences,
    NotificationType,
    QuietHours,
    Template,
)
from travelcore.testing.repositories import RepositoryContract, UowFactory

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ALL = frozenset(Channel)


def a_notification(
    tenant: TenantId,
    user: UserId | None = None,
    *,
    channel: Channel = Channel.EMAIL,
    due_in: timedelta = timedelta(0),
    created_at: datetime = T0,
) -> Notification:
    return Notification(
        id=NotificationId(new_uuid()),
        tenant_id=tenant,
        user_id=user or UserId(new_uuid()),
        key=f"test:{new_uuid()}",
        type=NotificationType.BOOKING_CONFIRMED,
        channel=channel,
        title="Booked",
        body="Ana is booked.",
        html="<p>Ana is booked.</p>" if channel is Channel.EMAIL else None,
        data={"booking_id": str(new_uuid()), "seats": 2},
        related_entity_type="booking",
        related_entity_id=new_uuid(),
        created_at=created_at,
        due_at=created_at + due_in,
    )


class NotificationRepositoryContract(RepositoryContract):
    repository = "notifications"

    def build(self, uow: Any) -> Notification:
        return a_notification(uow.tenant_id)

    def change(self, entity: Any) -> None:
        entity.mark_sent(T0, "provider-1")

    def test_keys_are_unique(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        stored = self.stored(uow_factory, tenant)
        twin = a_notification(tenant)
        twin.key = stored.key
        with uow_factory(tenant, None) as uow:
            with pytest.raises(AlreadyExists):
                uow.notifications.add(twin)
            assert uow.notifications.find_by_key(stored.key) == stored
            assert uow.notifications.find_by_key("nothing") is None

    def test_claim_due_takes_pending_due_ones_on_the_given_channels_oldest_first(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        late = a_notification(tenant, due_in=timedelta(minutes=5))
        first = a_notification(tenant, due_in=timedelta(minutes=-10))
        second = a_notification(tenant)
        sms = a_notification(tenant, channel=Channel.SMS)
        sent = a_notification(tenant)
        sent.mark_sent(T0, "x")
        with uow_factory(tenant, None) as uow:
            for n in (late, first, second, sms, sent):
                uow.notifications.add(n)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            due = uow.notifications.claim_due(T0, 10, frozenset({Channel.EMAIL}))
            assert [n.id for n in due] == [first.id, second.id]
            assert [n.id for n in uow.notifications.claim_due(T0, 1, ALL)] == [first.id]
            later = uow.notifications.claim_due(T0 + timedelta(minutes=5), 10, ALL)
            assert {n.id for n in later} == {first.id, second.id, sms.id, late.id}

    def test_a_claimed_notification_is_skipped_by_other_units_of_work(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        one, two = a_notification(tenant), a_notification(tenant, due_in=timedelta(seconds=1))
        with uow_factory(tenant, None) as uow:
            uow.notifications.add(one)
            uow.notifications.add(two)
            uow.commit()
        at = T0 + timedelta(seconds=1)
        with uow_factory(tenant, None) as first:
            assert [n.id for n in first.notifications.claim_due(at, 1, ALL)] == [one.id]
            with uow_factory(tenant, None) as second:
                assert [n.id for n in second.notifications.claim_due(at, 5, ALL)] in (
                    [two.id],  # PostgreSQL: FOR UPDATE SKIP LOCKED
                    [one.id, two.id],  # memory: units of work run one at a time
                )

    def test_lists_per_user_and_entity_and_counts_unread_in_app(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        user = UserId(new_uuid())
        older = a_notification(tenant, user, channel=Channel.IN_APP)
        newer = a_notification(
            tenant, user, channel=Channel.IN_APP, created_at=T0 + timedelta(minutes=1)
        )
        mail = a_notification(tenant, user)
        for n in (older, newer):
            n.mark_sent(T0, "in_app")
        newer.mark_read(T0 + timedelta(minutes=2))
        with uow_factory(tenant, None) as uow:
            for n in (older, newer, mail, a_notification(tenant)):
                uow.notifications.add(n)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            repo = uow.notifications
            assert [n.id for n in repo.for_user(user, channel=Channel.IN_APP)] == [
                newer.id,
                older.id,
            ]
            assert {n.id for n in repo.for_user(user)} == {older.id, newer.id, mail.id}
            unread = repo.for_user(user, channel=Channel.IN_APP, unread_only=True)
            assert [n.id for n in unread] == [older.id]
            assert repo.unread_count(user) == 1
            assert [n.id for n in repo.for_entity(mail.related_entity_id)] == [mail.id]
            assert repo.get(newer.id).read_at == T0 + timedelta(minutes=2)


class PreferenceRepositoryContract:
    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_put_then_find_and_optimistic_replace(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        user = UserId(new_uuid())
        prefs = NotificationPreferences(
            tenant_id=tenant,
            user_id=user,
            quiet_hours=QuietHours(start=time(22), end=time(7), timezone="Europe/Paris"),
            language="fr",
            addresses={Channel.SMS: "+33600000000"},
        )
        prefs.switch(NotificationType.BOOKING_REMINDER, Channel.SMS, True)
        with uow_factory(tenant, None) as uow:
            assert uow.notification_preferences.find(user) is None
            uow.notification_preferences.put(prefs)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            found = uow.notification_preferences.find(user)
            assert found == prefs
            assert found.version == FIRST_VERSION  # the kernel's version rule
            stale = uow.notification_preferences.find(user)
            found.language = "de"
            uow.notification_preferences.put(found)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            stored = uow.notification_preferences.find(user)
            assert (stored.language, stored.version) == ("de", FIRST_VERSION + 1)
            stale.language = "it"
            with pytest.raises(StaleVersion):
                uow.notification_preferences.put(stale)
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.notification_preferences.find(user) is None


class TemplateRepositoryContract:
    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def template(self, tenant: TenantId, version: int, language: str = "en") -> Template:
        return Template(
            tenant_id=tenant,
            key="booking_confirmed",
            channel=Channel.EMAIL,
            language=language,
            name="confirmation",
            title=f"v{version}: {{{{ activity_name }}}}",
            body="{{ activity_name }}",
            html="<p>{{ activity_name }}</p>",
            variables=("activity_name",),
            category="booking",
            version=version,
            created_at=T0,
        )

    def test_versions_newest_active_and_unique(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        v1, v2, fr = (
            self.template(tenant, 1),
            self.template(tenant, 2),
            self.template(tenant, 1, "fr"),
        )
        with uow_factory(tenant, None) as uow:
            for t in (v2, v1, fr):
                uow.notification_templates.add(t)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            repo = uow.notification_templates
            assert repo.active("booking_confirmed", Channel.EMAIL, "en") == v2
            assert repo.versions("booking_confirmed", Channel.EMAIL, "en") == [v1, v2]
            assert repo.active("booking_confirmed", Channel.EMAIL, "fr") == fr
            assert repo.active("booking_confirmed", Channel.SMS, "en") is None
            with pytest.raises(AlreadyExists):
                repo.add(self.template(tenant, 2))
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert (
                uow.notification_templates.active("booking_confirmed", Channel.EMAIL, "en") is None
            )
