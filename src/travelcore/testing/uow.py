"""The contract every unit-of-work adapter honours (idempotency store included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from travelcore.kernel import (
    AlreadyExists,
    DomainEvent,
    EventBus,
    IdempotencyRecord,
    TenantId,
    new_uuid,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class UnitOfWorkContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> UnitOfWork``
    whose object exposes an ``idempotency`` store."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def _record(self, key: str, at: datetime = T0) -> IdempotencyRecord:
        return IdempotencyRecord(key=key, fingerprint="f" * 64, result={"n": 1}, created_at=at)

    def test_uncommitted_work_is_rolled_back(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            uow.idempotency.add(self._record("k1"))
        with uow_factory(tenant, None) as uow:
            assert uow.idempotency.get("k1") is None

    def test_committed_work_is_visible(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            uow.idempotency.add(self._record("k2"))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            record = uow.idempotency.get("k2")
        assert record is not None
        assert record.result == {"n": 1}
        assert record.fingerprint == "f" * 64

    def test_exception_rolls_back(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        def fail_midway() -> None:
            with uow_factory(tenant, None) as uow:
                uow.idempotency.add(self._record("k3"))
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fail_midway()
        with uow_factory(tenant, None) as uow:
            assert uow.idempotency.get("k3") is None

    def test_duplicate_key_is_refused(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            uow.idempotency.add(self._record("dup"))
            uow.commit()
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            uow.idempotency.add(self._record("dup"))

    def test_keys_are_scoped_per_tenant(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        other = TenantId(new_uuid())
        with uow_factory(tenant, None) as uow:
            uow.idempotency.add(self._record("shared"))
            uow.commit()
        with uow_factory(other, None) as uow:
            assert uow.idempotency.get("shared") is None
            uow.idempotency.add(self._record("shared"))
            uow.commit()

    def test_purge_forgets_old_records_only(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            uow.idempotency.add(self._record("old", T0))
            uow.idempotency.add(self._record("new", T0 + timedelta(days=2)))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.idempotency.purge_before(T0 + timedelta(days=1)) == 1
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert uow.idempotency.get("old") is None
            assert uow.idempotency.get("new") is not None

    def test_events_reach_subscribers_only_after_commit(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        bus = EventBus()
        seen: list[DomainEvent] = []
        bus.subscribe(seen.append)
        event = DomainEvent(tenant_id=tenant, occurred_at=T0)
        with uow_factory(tenant, bus) as uow:
            uow.emit(event)
        assert seen == []
        with uow_factory(tenant, bus) as uow:
            uow.emit(event)
            assert seen == []
            uow.commit()
        assert seen == [event]
        assert uow.committed_events == [event]
