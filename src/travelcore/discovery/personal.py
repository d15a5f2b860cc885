"""Favourite activities per child, and the AI travel agent's long-term memory per user.

User memory: ``remember`` keeps a text (from a conversation message or a booking) in the
database (the source of truth) and its vector in the ``user_memory`` namespace with the
user's id in the metadata; ``recall`` returns the ``k`` most similar texts *of that user
only* (the filter is on the user id, the texts come from the database); ``forget_user``
erases both. Favourites are listable and read by curation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID

import attrs

from travelcore.catalog.model import ActivityId
from travelcore.discovery import access
from travelcore.kernel import Actor, require_tenant
from travelcore.kernel import validation as v
from travelcore.kernel.clock import Clock, checked_clock
from travelcore.kernel.errors import NotFound, ValidationFailed
from travelcore.kernel.ids import TenantId, UserId, new_uuid
from travelcore.kernel.uow import UnitOfWork
from travelcore.people.model import ChildId
from travelcore.people.ports import ChildRepository
from travelcore.vectors.ports import Embedder, VectorStore
from travelcore.vectors.records import VectorRecord, namespace_for

MemorySource = Literal["message", "booking"]
MAX_MEMORY_TEXT = 20_000
"""A remembered text is at most as long as a chat message."""
MAX_QUERY_LENGTH = 1_000
MAX_MEMORY_TEXT = 4000


def _memory_text(instance: object, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_MEMORY_TEXT:
        raise ValidationFailed(attribute.name, f"text_of_1_to_{MAX_MEMORY_TEXT}_characters")


def _source(instance: object, attribute: attrs.Attribute[str], value: Any) -> None:
    if value not in ("message", "booking"):
        raise ValidationFailed(attribute.name, "message_or_booking")


@attrs.frozen(kw_only=True)
class Favourite:
    tenant_id: TenantId
    child_id: ChildId
    activity_id: ActivityId
    created_at: datetime


@attrs.frozen(kw_only=True)
class MemoryEntry:
    id: UUID
    tenant_id: TenantId
    user_id: UserId
    text: str = attrs.field(validator=_memory_text)
    source: MemorySource = attrs.field(validator=_source)
    source_id: str | None = None
    created_at: datetime


@attrs.frozen
class Recalled:
    entry: MemoryEntry
    score: float


class FavouriteRepository(Protocol):
    def add(self, favourite: Favourite) -> None:
        """``AlreadyExists`` when the child already has it."""
        ...

    def remove(self, child_id: ChildId, activity_id: ActivityId) -> None: ...

    def for_child(self, child_id: ChildId) -> list[Favourite]:
        """Newest first."""
        ...


class MemoryEntryRepository(Protocol):
    def add(self, entry: MemoryEntry) -> None: ...

    def get_many(self, ids: list[UUID]) -> dict[UUID, MemoryEntry]: ...

    def for_user(self, user_id: UserId) -> list[MemoryEntry]:
        """Oldest first."""
        ...

    def remove_user(self, user_id: UserId) -> int:
        """Delete every entry of the user; how many went."""
        ...


class PersonalUnitOfWork(UnitOfWork, Protocol):
    @property
    def favourites(self) -> FavouriteRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def memory_entries(self) -> MemoryEntryRepository: ...


class Favourites:
    def __init__(self, uow_factory: Callable[[TenantId], PersonalUnitOfWork], clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = checked_clock(clock)

    def add(
        self, tenant_id: TenantId, child_id: ChildId, activity_id: ActivityId, *, actor: Actor
    ) -> Favourite:
        """The child's favourite, checked and added in one unit of work that holds the
        child (its locking read), so a concurrent erasure of the child deletes it or comes
        first (then the child is unknown)."""
        v.ids(child_id=child_id, activity_id=activity_id)
        require_tenant(actor, tenant_id)
        favourite = Favourite(
            tenant_id=tenant_id,
            child_id=child_id,
            activity_id=activity_id,
            created_at=self._clock.now(),
        )
        with self._uow_factory(tenant_id) as uow:
            try:
                parent: UserId | None = uow.children.get_for_update(child_id).parent_id
            except NotFound:
                parent = None
            access.family(actor, parent)
            uow.favourites.add(favourite)
            uow.commit()
        return favourite

    def remove(
        self, tenant_id: TenantId, child_id: ChildId, activity_id: ActivityId, *, actor: Actor
    ) -> None:
        v.ids(child_id=child_id, activity_id=activity_id)
        require_tenant(actor, tenant_id)
        self._check(tenant_id, child_id, access.family, actor)
        with self._uow_factory(tenant_id) as uow:
            uow.favourites.remove(child_id, activity_id)
            uow.commit()

    def of(self, tenant_id: TenantId, child_id: ChildId, *, actor: Actor) -> list[Favourite]:
        v.ids(child_id=child_id)
        require_tenant(actor, tenant_id)
        self._check(tenant_id, child_id, access.read_family, actor)
        with self._uow_factory(tenant_id) as uow:
            return uow.favourites.for_child(child_id)

    def _check(
        self,
        tenant_id: TenantId,
        child_id: ChildId,
        rule: Callable[[Actor, UserId | None], None],
        actor: Actor,
    ) -> None:
        """``rule`` for the child's parent (none for an unknown child: admins only)."""
        with self._uow_factory(tenant_id) as uow:
            try:
                parent: UserId | None = uow.children.get(child_id).parent_id
            except NotFound:
                parent = None
        rule(actor, parent)


class UserMemory:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], PersonalUnitOfWork],
        store: VectorStore,
        embedder: Embedder,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._store = store
        self._embedder = embedder
        self._clock = checked_clock(clock)

    def remember(
        self,
        tenant_id: TenantId,
        user_id: UserId,
        text: str,
        *,
        source: MemorySource,
        source_id: str | None = None,
        actor: Actor,
    ) -> MemoryEntry:
        v.ids(user_id=user_id)
        v.text(MAX_MEMORY_TEXT)(text, "text")
        v.optional(v.text(255))(source_id, "source_id")
        require_tenant(actor, tenant_id)
        access.personal(actor, user_id)
        entry = MemoryEntry(
            id=new_uuid(),
            tenant_id=tenant_id,
            user_id=user_id,
            text=text,
            source=source,
            source_id=source_id,
            created_at=self._clock.now(),
        )
        with self._uow_factory(tenant_id) as uow:
            uow.memory_entries.add(entry)
            uow.commit()
        vector = self._embedder.embed([text])[0]
        self._store.upsert(
            namespace_for(tenant_id, "user_memory"),
            [VectorRecord(str(entry.id), vector, {"user_id": str(user_id), "source": source})],
        )
        return entry

    def recall(
        self, tenant_id: TenantId, user_id: UserId, text: str, k: int = 5, *, actor: Actor
    ) -> list[Recalled]:
        """The ``k`` remembered texts of ``user_id`` most similar to ``text``, best first."""
        v.ids(user_id=user_id)
        v.text(MAX_QUERY_LENGTH)(text, "text")
        require_tenant(actor, tenant_id)
        access.read_personal(actor, user_id)
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
            raise ValidationFailed("k", "between_1_and_100")
        vector = self._embedder.embed([text])[0]
        found = self._store.query(
            namespace_for(tenant_id, "user_memory"),
            vector=vector,
            top_k=k,
            filter={"user_id": str(user_id)},
        )
        with self._uow_factory(tenant_id) as uow:
            entries = uow.memory_entries.get_many([UUID(m.id) for m in found])
        return [
            Recalled(entries[UUID(m.id)], m.score)
            for m in found
            if UUID(m.id) in entries and entries[UUID(m.id)].user_id == user_id
        ]

    def forget_user(self, tenant_id: TenantId, user_id: UserId, *, actor: Actor) -> int:
        """Erase the user's memory: the texts, then their vectors."""
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.forget(actor, user_id)
        with self._uow_factory(tenant_id) as uow:
            removed = uow.memory_entries.remove_user(user_id)
            uow.commit()
        self._store.delete(
            namespace_for(tenant_id, "user_memory"), filter={"user_id": str(user_id)}
        )
        return removed
