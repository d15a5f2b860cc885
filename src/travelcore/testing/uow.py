"""The contract every unit-of-work adapter honours (idempotency store included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.kernel import (
    Actor,
    AlreadyExists,
    DomainEvent,
    EventBus,
    IdempotencyConflict,
    IdempotencyRecord,
    Role,
    TenantId,
    UserId,
    new_uuid,
    run_idempotent,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)

_ALICE, _BOB = UserId(UUID(int=1)), UserId(UUID(int=2))
_VENUE = UUID(int=3)


def _actors(tenant: TenantId) -> list[Actor]:
    """Distinct actors, some sharing a user (another role, an API key with fewer scopes)."""
    return [
        Actor(tenant_id=tenant, role=Role.PARENT, user_id=_ALICE),
        Actor(tenant_id=tenant, role=Role.PARENT, user_id=_BOB),
        Actor(tenant_id=tenant, role=Role.TRAVELLER, user_id=_ALICE),
        Actor(
            tenant_id=tenant,
            role=Role.PARENT,
            user_id=_ALICE,
            scopes=frozenset({"read:bookings"}),
            api_key_id=UUID(int=4),
        ),
        Actor(tenant_id=tenant, role=Role.VENUE_ADMIN, user_id=_BOB, venue_id=_VENUE),
        Actor(tenant_id=tenant, role=Role.PLATFORM_ADMIN, user_id=UserId(UUID(int=5))),
        Actor.system(tenant, "sweep"),
        Actor.system(tenant, "reconcile"),
    ]


@attrs.frozen
class _Command:
    amount: int
    idempotency_key: str


class _Replay:
    """Runs commands through ``run_idempotent`` and counts the actions that really ran."""

    def __init__(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        self.uow_factory, self.tenant, self.ran = uow_factory, tenant, 0

    def run(self, actor: Actor, command: _Command) -> int:
        def action() -> int:
            self.ran += 1
            return command.amount * 100 + self.ran

        with self.uow_factory(self.tenant, None) as uow:
            result = run_idempotent(
                uow, command.idempotency_key, command, int, T0, action, actor=actor
            )
            uow.commit()
        return result


def check_replays_only_to_their_actor(uow_factory: Callable[..., Any], tenant: TenantId) -> None:
    """Property: a key's stored result comes back only for the same request from an actor
    with the same identity; any other actor or request gets ``IdempotencyConflict``."""
    actors = _actors(tenant)

    @settings(max_examples=40)
    @given(
        first=st.sampled_from(range(len(actors))),
        second=st.sampled_from(range(len(actors))),
        amounts=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    )
    def replays(first: int, second: int, amounts: tuple[int, int]) -> None:
        replay, key = _Replay(uow_factory, tenant), f"key-{new_uuid()}"
        stored = replay.run(actors[first], _Command(amounts[0], key))
        again = _Command(amounts[1], key)
        try:
            outcome: int | str = replay.run(actors[second], again)
        except IdempotencyConflict:
            outcome = "conflict"
        same = first == second and amounts[0] == amounts[1]
        assert outcome == (stored if same else "conflict")
        assert replay.ran == 1

    replays()


class UnitOfWorkContract:
    """Subclass and provide ``uow_factory``: ``(TenantId, EventBus | None) -> UnitOfWork``
    whose object exposes an ``idempotency`` store."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_a_stored_result_is_replayed_to_its_own_actor_only(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        check_replays_only_to_their_actor(uow_factory, tenant)

    def test_negative_control_an_actor_blind_fingerprint_leaks_results(
        self, uow_factory: Callable[..., Any], tenant: TenantId, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from travelcore.kernel import idempotency

        blind = idempotency.fingerprint
        monkeypatch.setattr(idempotency, "fingerprint", lambda request, actor=None: blind(request))
        with pytest.raises(AssertionError):
            check_replays_only_to_their_actor(uow_factory, tenant)

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
