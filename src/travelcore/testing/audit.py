"""The audit log contract, run against every adapter: one entry per entity written, in
the transaction of the write, with who, what, when and the request it came in; secrets
redacted; queries by entity, actor, time and request, paginated and bounded; retention.

The adapter's test module provides ``audit_db``: ``(Clock) -> (TenantId) -> unit of
work`` (a unit-of-work factory whose audit entries the clock dates).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from travelcore.apikeys import ApiKeyId
from travelcore.audit import (
    REDACTED,
    AuditAction,
    AuditEntry,
    AuditQuery,
    AuditService,
)
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    ManualClock,
    RequestContext,
    Role,
    StaticPolicies,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.settings import PlatformSettings, PlatformSettingsService
from travelcore.testing.apikeys import make_api_key
from travelcore.travel import PolicyKey, PolicyRule

T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
AuditDb = Callable[[Clock], Callable[[TenantId], Any]]


def every_entry(uow: Any, query: AuditQuery | None = None) -> list[AuditEntry]:
    """All entries ``query`` selects, page after page."""
    query = query or AuditQuery(limit=500)
    found: list[AuditEntry] = []
    while True:
        page = uow.audit_log.find(query)
        found.extend(page.entries)
        if page.next is None:
            return found
        query = attrs.evolve(query, after=page.next)


class AuditLogContract:
    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(T0)

    @pytest.fixture
    def db(self, audit_db: AuditDb, clock: ManualClock) -> Callable[[TenantId], Any]:
        return audit_db(clock)

    def admin(self, tenant: TenantId) -> Actor:
        return Actor(tenant_id=tenant, role=Role.PLATFORM_ADMIN, user_id=UserId(new_uuid()))

    def entries(self, db: Callable[[TenantId], Any], tenant: TenantId) -> list[AuditEntry]:
        with db(tenant) as uow:
            return every_entry(uow)

    def test_a_commit_leaves_one_entry_per_entity_written_with_who_and_when(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        admin = self.admin(tenant)
        key = make_api_key(tenant)
        with db(tenant) as uow:
            uow.actor = admin
            uow.api_keys.add(key)
            uow.platform_settings.add(
                PlatformSettings(tenant_id=tenant, overrides={}, updated_at=T0)
            )
            uow.commit()
        entries = self.entries(db, tenant)
        assert sorted((e.entity_type, e.action) for e in entries) == [
            ("api_key", AuditAction.CREATE),
            ("platform_settings", AuditAction.CREATE),
        ]
        for entry in entries:
            assert (entry.actor, entry.role, entry.user_id) == (
                admin.label,
                Role.PLATFORM_ADMIN,
                admin.user_id,
            )
            assert entry.at == clock.now()
            assert entry.before is None
        [created] = [e for e in entries if e.entity_type == "api_key"]
        assert created.entity_id == str(key.id)
        assert created.after is not None
        assert created.after["name"] == key.name
        assert created.after["secret_hash"] == REDACTED

    def test_a_save_records_the_fields_that_changed_before_and_after(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        key = make_api_key(tenant)
        with db(tenant) as uow:
            uow.api_keys.add(key)
            uow.commit()
        clock.advance(timedelta(minutes=1))
        with db(tenant) as uow:
            stored = uow.api_keys.get(key.id)
            stored.revoke(T0, "leaked")
            uow.api_keys.save(stored)
            stored.last_used_at = T0
            uow.api_keys.save(stored)  # two saves of one entity: one change
            uow.commit()
        [_, update] = self.entries(db, tenant)
        assert update.action is AuditAction.UPDATE
        assert update.before == {
            "revoked_at": None,
            "revoked_reason": None,
            "last_used_at": None,
            "version": 1,
        }
        assert update.after == {
            "revoked_at": T0.isoformat(),
            "revoked_reason": "leaked",
            "last_used_at": T0.isoformat(),
            "version": 3,
        }

    def test_a_removal_records_what_was_removed(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        rule = PolicyRule(
            tenant_id=tenant, key=PolicyKey.HOTEL_STARS, value={"max": 4}, updated_at=T0
        )
        with db(tenant) as uow:
            uow.travel_policies.add(rule)
            uow.commit()
        clock.advance(timedelta(minutes=1))
        with db(tenant) as uow:
            uow.travel_policies.remove(PolicyKey.HOTEL_STARS)
            uow.commit()
        [created, removed] = self.entries(db, tenant)
        assert (created.action, removed.action) == (AuditAction.CREATE, AuditAction.DELETE)
        assert removed.entity_id == created.entity_id == "hotel_stars"
        assert removed.before is not None
        assert removed.before["value"] == {"max": 4}
        assert removed.after is None

    def test_a_rolled_back_change_leaves_no_entry(
        self, db: Callable[[TenantId], Any], tenant: TenantId
    ) -> None:
        with db(tenant) as uow:
            uow.api_keys.add(make_api_key(tenant))
            uow.rollback()
        with db(tenant) as uow:
            uow.api_keys.add(make_api_key(tenant))  # left without commit
        assert self.entries(db, tenant) == []

    def test_another_tenant_sees_none_of_the_entries(
        self, db: Callable[[TenantId], Any], tenant: TenantId
    ) -> None:
        with db(tenant) as uow:
            uow.api_keys.add(make_api_key(tenant))
            uow.commit()
        assert len(self.entries(db, tenant)) == 1
        assert self.entries(db, TenantId(new_uuid())) == []

    def test_queries_by_entity_actor_and_time_range_come_in_bounded_pages(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        admin, job = self.admin(tenant), Actor.system(tenant, "nightly")
        keys = [make_api_key(tenant) for _ in range(5)]
        for n, key in enumerate(keys):
            with db(tenant) as uow:
                uow.actor = admin if n % 2 == 0 else job
                uow.api_keys.add(key)
                uow.commit()
            clock.advance(timedelta(hours=1))
        with db(tenant) as uow:
            [one] = every_entry(uow, AuditQuery(entity_type="api_key", entity_id=str(keys[3].id)))
            assert one.actor == job.label
            by_admin = every_entry(uow, AuditQuery(actor=admin.label, limit=1))
            assert [e.entity_id for e in by_admin] == [str(keys[n].id) for n in (0, 2, 4)]
            window = AuditQuery(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
            assert [e.entity_id for e in every_entry(uow, window)] == [
                str(keys[1].id),
                str(keys[2].id),
            ]
            first = uow.audit_log.find(AuditQuery(limit=2))
            assert len(first.entries) == 2
            assert first.next == first.entries[-1].cursor
            last = uow.audit_log.find(AuditQuery(limit=5))
            assert len(last.entries) == 5
            assert last.next is None

    @pytest.mark.parametrize("limit", [0, 501, -1])
    def test_a_page_is_bounded(
        self, db: Callable[[TenantId], Any], tenant: TenantId, limit: int
    ) -> None:
        service = AuditService(db, ManualClock(T0))
        with pytest.raises(ValidationFailed) as error:
            service.entries(tenant, AuditQuery(limit=limit), actor=self.admin(tenant))
        assert error.value.field == "limit"

    def test_only_admins_and_the_system_read_the_log(
        self, db: Callable[[TenantId], Any], tenant: TenantId
    ) -> None:
        service = AuditService(db, ManualClock(T0))
        parent = Actor(tenant_id=tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
        with pytest.raises(AccessDenied) as error:
            service.entries(tenant, AuditQuery(), actor=parent)
        assert error.value.rule == "audit_reader"
        stranger = Actor(tenant_id=TenantId(new_uuid()), role=Role.PLATFORM_ADMIN)
        with pytest.raises(AccessDenied):
            service.entries(tenant, AuditQuery(), actor=stranger)
        assert service.entries(tenant, AuditQuery(), actor=self.admin(tenant)).entries == ()

    def test_the_retention_purge_removes_only_entries_older_than_the_policy(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        old, kept, other = make_api_key(tenant), make_api_key(tenant), TenantId(new_uuid())
        with db(other) as uow:  # as old as ``old``, in another tenant
            uow.api_keys.add(make_api_key(other))
            uow.commit()
        for key in (old, kept):  # at day 0 and day 400; the purge runs on day 800
            with db(tenant) as uow:
                uow.api_keys.add(key)
                uow.commit()
            clock.advance(timedelta(days=400))
        service = AuditService(db, clock, policies=StaticPolicies())
        with pytest.raises(AccessDenied):
            service.purge_expired(tenant, actor=self.admin(tenant))
        assert service.purge_expired(tenant, actor=Actor.system(tenant, "retention")) == 1
        assert [e.entity_id for e in self.entries(db, tenant)] == [str(kept.id)]
        assert len(self.entries(db, other)) == 1

    def test_an_erasure_removes_the_subjects_entries_and_renames_it_in_the_others(
        self, db: Callable[[TenantId], Any], tenant: TenantId
    ) -> None:
        subject, replacement = new_uuid(), new_uuid()
        own = attrs.evolve(make_api_key(tenant), id=ApiKeyId(subject))  # the subject's own
        mentions = attrs.evolve(make_api_key(tenant), user_id=UserId(subject))
        unrelated = make_api_key(tenant)
        with db(tenant) as uow:
            for key in (own, mentions, unrelated):
                uow.api_keys.add(key)
            uow.commit()
        service = AuditService(db, ManualClock(T0))
        with pytest.raises(AccessDenied):
            service.forget(tenant, subject, replacement, actor=self.admin(tenant))
        erasure = Actor.system(tenant, "erasure")
        assert service.forget(tenant, subject, replacement, actor=erasure) == 2
        entries = {e.entity_id: e for e in self.entries(db, tenant)}
        assert sorted(entries) == sorted([str(mentions.id), str(unrelated.id)])
        assert not any(str(subject) in repr(e) for e in entries.values())
        after = entries[str(mentions.id)].after
        assert after is not None
        assert after["user_id"] == str(replacement)
        assert service.forget(tenant, subject, replacement, actor=erasure) == 0  # idempotent

    def test_platform_settings_writes_are_audited(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        settings, admin = PlatformSettingsService(db, clock), self.admin(tenant)
        settings.update(tenant, {"cancellation_window": 86_400}, actor=admin)
        clock.advance(timedelta(minutes=1))
        settings.update(tenant, {"platform_fee_rate": "0.15"}, actor=admin)
        created, updated = self.entries(db, tenant)
        assert created.actor == updated.actor == admin.label
        assert (created.entity_type, created.action) == ("platform_settings", AuditAction.CREATE)
        assert updated.action is AuditAction.UPDATE
        assert updated.before is not None
        assert updated.after is not None
        assert updated.before["overrides"] == {"cancellation_window": 86400.0}
        assert updated.after["overrides"] == {
            "cancellation_window": 86400.0,
            "platform_fee_rate": "0.15",
        }

    def test_the_request_an_actor_makes_is_recorded_and_selects_entries(
        self, db: Callable[[TenantId], Any], tenant: TenantId, clock: ManualClock
    ) -> None:
        browser = RequestContext(
            ip_address="2001:DB8:0:0:0:0:0:1",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
            request_id="req-7f3a",
            session_id="sess-42",
        )
        script = RequestContext(ip_address="203.0.113.9", request_id="req-9b1c")
        admin = self.admin(tenant)
        settings = PlatformSettingsService(db, clock)
        settings.update(
            tenant, {"cancellation_window": 3600}, actor=attrs.evolve(admin, request=browser)
        )
        for request in (script, None):
            clock.advance(timedelta(minutes=1))
            with db(tenant) as uow:
                uow.actor = attrs.evolve(admin, request=request)
                uow.api_keys.add(make_api_key(tenant))
                uow.commit()
        first, second, third = self.entries(db, tenant)
        assert first.entity_type == "platform_settings"
        assert first.request == browser
        assert attrs.astuple(first.request) == (
            "2001:db8::1",
            browser.user_agent,
            "req-7f3a",
            "sess-42",
        )
        assert (second.request, third.request) == (script, None)
        with db(tenant) as uow:
            assert every_entry(uow, AuditQuery(request_id="req-9b1c")) == [second]
            spelled = AuditQuery(ip_address="2001:db8:0::1", actor=admin.label)
            assert every_entry(uow, spelled) == [first]
            assert every_entry(uow, AuditQuery(request_id="req-none")) == []

    @pytest.mark.parametrize(
        ("field", "value"),
        [("ip_address", "10.0.0.0/8"), ("request_id", "two words"), ("request_id", "")],
    )
    def test_a_query_by_a_malformed_request_is_refused(
        self, db: Callable[[TenantId], Any], tenant: TenantId, field: str, value: str
    ) -> None:
        service = AuditService(db, ManualClock(T0))
        query = AuditQuery(**{field: value})  # type: ignore[arg-type]
        with pytest.raises(ValidationFailed) as error:
            service.entries(tenant, query, actor=self.admin(tenant))
        assert error.value.field == field
