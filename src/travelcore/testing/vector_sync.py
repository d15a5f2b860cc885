"""The contract every adapter of the ``vector_sync`` repository honours (through the port only).

Subclass :class:`VectorSyncRepositoryContract` and provide the fixture ``uow_factory``:
``(TenantId) -> unit of work`` whose ``vector_sync`` attribute is the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from travelcore.kernel import TenantId, ValidationFailed, new_uuid
from travelcore.vectors.records import namespace_for
from travelcore.vectors.sync_model import SyncStatus, VectorSyncState, content_hash

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)

# Text a SQL database can store: no NUL, no lone surrogates.
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def sync_states(draw: st.DrawFn, tenant: TenantId) -> VectorSyncState:
    """Any state of ``tenant`` (the strategy the round-trip property draws from)."""
    micros = draw(st.integers(0, 230 * 365 * 86_400 * 10**6))
    moment = datetime(1970, 1, 2, tzinfo=UTC) + timedelta(microseconds=micros)
    return VectorSyncState(
        tenant_id=tenant,
        namespace=draw(_text.filter(bool)),
        source_id=draw(_text.filter(bool)),
        content_hash=draw(_text),
        model=draw(_text),
        status=draw(st.sampled_from(["synced", "failed", "delete_pending"])),
        attempts=draw(st.integers(0, 2**31 - 1)),
        last_error=draw(st.none() | _text),
        updated_at=moment.astimezone(draw(_offsets)),
    )


def sync_state(
    tenant: TenantId,
    source_id: str,
    *,
    namespace: str | None = None,
    status: SyncStatus = "synced",
    **changes: Any,
) -> VectorSyncState:
    """A state with every field set to a non-default value unless ``changes`` say otherwise."""
    values: dict[str, Any] = {
        "tenant_id": tenant,
        "namespace": namespace or namespace_for(tenant, "activities"),
        "source_id": source_id,
        "content_hash": content_hash(f"text of {source_id}", {"age": 5}),
        "model": "travelcore-hashing-ngrams@1-d384-n24",
        "status": status,
        "attempts": 0 if status == "synced" else 2,
        "last_error": None if status == "synced" else "vector_store_unavailable",
        "updated_at": T0,
    }
    values.update(changes)
    return VectorSyncState(**values)


class VectorSyncRepositoryContract:
    """get / save / remove / pending, round trips, rollback and tenant isolation."""

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def test_get_of_an_unknown_source_is_none(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(namespace_for(tenant, "activities"), "nope") is None

    @pytest.mark.parametrize("status", ["synced", "failed", "delete_pending"])
    def test_every_field_round_trips(
        self, uow_factory: Callable[..., Any], tenant: TenantId, status: SyncStatus
    ) -> None:
        state = sync_state(
            tenant,
            "activité/42:ü" + "x" * 400,
            status=status,
            namespace=namespace_for(tenant, "user_memory"),
            attempts=7,
            last_error=None if status == "synced" else "vector_store_unavailable: ✗",
            updated_at=datetime(
                2026, 5, 2, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2))
            ),
        )
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(state)
            assert uow.vector_sync.get(state.namespace, state.source_id) == state
            uow.commit()
        with uow_factory(tenant) as uow:
            loaded = uow.vector_sync.get(state.namespace, state.source_id)
        assert loaded == state
        assert loaded is not None
        assert loaded.updated_at.utcoffset() is not None

    @settings(
        max_examples=25,
        deadline=None,
        # The fixture only opens units of work; each example uses a fresh tenant. The method
        # runs once per adapter subclass, which is what differing_executors reports.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(data=st.data())
    def test_any_state_round_trips(
        self, uow_factory: Callable[..., Any], data: st.DataObject
    ) -> None:
        tenant = TenantId(new_uuid())
        state = data.draw(sync_states(tenant))
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(state)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(state.namespace, state.source_id) == state
            assert uow.vector_sync.pending(state.namespace) == (
                [] if state.status == "synced" else [state]
            )

    def test_save_replaces_the_previous_state(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        first = sync_state(tenant, "a", status="failed")
        second = attrs.evolve(
            first,
            content_hash=content_hash("new text", {}),
            model="other@2",
            status="synced",
            attempts=0,
            last_error=None,
            updated_at=T0 + timedelta(minutes=5),
        )
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(first)
            uow.commit()
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(second)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(first.namespace, "a") == second
            assert uow.vector_sync.pending(first.namespace) == []

    def test_remove(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        kept, gone = sync_state(tenant, "kept"), sync_state(tenant, "gone", status="failed")
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(kept)
            uow.vector_sync.save(gone)
            uow.commit()
        with uow_factory(tenant) as uow:
            uow.vector_sync.remove(gone.namespace, "gone")
            uow.vector_sync.remove(gone.namespace, "never-stored")
            assert uow.vector_sync.get(gone.namespace, "gone") is None
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(gone.namespace, "gone") is None
            assert uow.vector_sync.get(kept.namespace, "kept") == kept
            assert uow.vector_sync.pending(gone.namespace) == []

    def test_pending_lists_what_is_not_in_sync_by_source_id(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        ns = namespace_for(tenant, "activities")
        other_ns = namespace_for(tenant, "search_queries")
        states = [
            sync_state(tenant, "d", status="delete_pending"),
            sync_state(tenant, "a", status="synced"),
            sync_state(tenant, "c", status="failed"),
            sync_state(tenant, "b", status="failed", attempts=1),
            sync_state(tenant, "e", status="synced"),
            sync_state(tenant, "Z", status="failed"),
            sync_state(tenant, "c", status="failed", namespace=other_ns),
        ]
        with uow_factory(tenant) as uow:
            for state in states:
                uow.vector_sync.save(state)
            uow.commit()
        with uow_factory(tenant) as uow:
            pending = uow.vector_sync.pending(ns)
            # Code-point order, whatever the back end's collation.
            assert [s.source_id for s in pending] == ["Z", "b", "c", "d"]
            assert pending == [states[5], states[3], states[2], states[0]]
            assert uow.vector_sync.pending(other_ns) == [states[6]]
            assert uow.vector_sync.pending(namespace_for(tenant, "user_memory")) == []

    def test_nothing_is_kept_without_commit(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        stored = sync_state(tenant, "stored")
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(stored)
            uow.commit()
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(sync_state(tenant, "new", status="failed"))
            uow.vector_sync.save(attrs.evolve(stored, status="delete_pending"))
            uow.vector_sync.remove(stored.namespace, "stored")
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(sync_state(tenant, "also-new"))
            uow.rollback()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(stored.namespace, "new") is None
            assert uow.vector_sync.get(stored.namespace, "also-new") is None
            assert uow.vector_sync.get(stored.namespace, "stored") == stored
            assert uow.vector_sync.pending(stored.namespace) == []

    def test_tenants_are_isolated(self, uow_factory: Callable[..., Any], tenant: TenantId) -> None:
        other = TenantId(new_uuid())
        # The same namespace string on purpose: isolation must not rely on namespaces.
        ns = namespace_for(tenant, "activities")
        mine = sync_state(tenant, "a", namespace=ns, status="failed")
        theirs = sync_state(other, "a", namespace=ns, status="delete_pending", attempts=9)
        with uow_factory(tenant) as uow:
            uow.vector_sync.save(mine)
            uow.commit()
        with uow_factory(other) as uow:
            assert uow.vector_sync.get(ns, "a") is None
            assert uow.vector_sync.pending(ns) == []
            uow.vector_sync.remove(ns, "a")
            uow.vector_sync.save(theirs)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(ns, "a") == mine
            assert uow.vector_sync.pending(ns) == [mine]
        with uow_factory(other) as uow:
            assert uow.vector_sync.get(ns, "a") == theirs
            assert uow.vector_sync.pending(ns) == [theirs]

    def test_a_state_of_another_tenant_is_refused(
        self, uow_factory: Callable[..., Any], tenant: TenantId
    ) -> None:
        foreign = sync_state(TenantId(new_uuid()), "a")
        with uow_factory(tenant) as uow:
            with pytest.raises(ValidationFailed) as refused:
                uow.vector_sync.save(foreign)
            assert refused.value.field == "tenant_id"
            uow.commit()
        with uow_factory(tenant) as uow:
            assert uow.vector_sync.get(foreign.namespace, "a") is None
        with uow_factory(foreign.tenant_id) as uow:
            assert uow.vector_sync.get(foreign.namespace, "a") is None
