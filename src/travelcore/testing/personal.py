"""The contract of favourites and user memory (``Favourites`` and ``UserMemory`` over the
port). Provide the fixtures ``uow_factory``, ``clock`` and ``vectors`` (a vector store of
dimension ``DIMENSION``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from travelcore.catalog import ActivityId
from travelcore.discovery.personal import Favourites, UserMemory
from travelcore.kernel import (
    AlreadyExists,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people import ChildId
from travelcore.testing.actors import admin
from travelcore.vectors import HashingEmbedder, namespace_for
from travelcore.vectors.ports import VectorStore

DIMENSION = 64


class PersonalContract:
    @pytest.fixture
    def memory(
        self, uow_factory: Callable[[TenantId], Any], vectors: VectorStore, clock: ManualClock
    ) -> UserMemory:
        return UserMemory(uow_factory, vectors, HashingEmbedder(DIMENSION), clock)

    def test_favourites_are_listed_newest_first_once_each(
        self, uow_factory: Callable[[TenantId], Any], clock: ManualClock
    ) -> None:
        favourites = Favourites(uow_factory, clock)
        tenant, child = TenantId(new_uuid()), ChildId(new_uuid())
        first, second = ActivityId(new_uuid()), ActivityId(new_uuid())
        favourites.add(tenant, child, first, actor=admin(tenant))
        clock.advance(timedelta(minutes=1))
        favourites.add(tenant, child, second, actor=admin(tenant))
        with pytest.raises(AlreadyExists):
            favourites.add(tenant, child, first, actor=admin(tenant))
        assert [f.activity_id for f in favourites.of(tenant, child, actor=admin(tenant))] == [
            second,
            first,
        ]
        favourites.remove(tenant, child, second, actor=admin(tenant))
        assert [f.activity_id for f in favourites.of(tenant, child, actor=admin(tenant))] == [first]
        other = TenantId(new_uuid())
        assert favourites.of(other, child, actor=admin(other)) == []

    def test_recall_finds_the_closest_texts_of_that_user_only(self, memory: UserMemory) -> None:
        tenant, alice, bob = TenantId(new_uuid()), UserId(new_uuid()), UserId(new_uuid())
        memory.remember(
            tenant,
            alice,
            "prefers aisle seats on long flights",
            source="message",
            actor=admin(tenant),
        )
        memory.remember(
            tenant,
            alice,
            "booked a hotel in Lisbon near the river",
            source="booking",
            actor=admin(tenant),
        )
        memory.remember(tenant, alice, "is vegetarian", source="message", actor=admin(tenant))
        memory.remember(
            tenant, bob, "prefers aisle seats on flights", source="message", actor=admin(tenant)
        )
        recalled = memory.recall(
            tenant, alice, "aisle seat on the flight", k=2, actor=admin(tenant)
        )
        assert recalled[0].entry.text == "prefers aisle seats on long flights"
        assert len(recalled) == 2
        assert all(r.entry.user_id == alice for r in recalled)
        assert [r.score for r in recalled] == sorted((r.score for r in recalled), reverse=True)
        other = TenantId(new_uuid())
        assert memory.recall(other, alice, "aisle seat", actor=admin(other)) == []

    def test_forgetting_a_user_erases_texts_and_vectors(
        self, memory: UserMemory, vectors: VectorStore
    ) -> None:
        tenant, alice, bob = TenantId(new_uuid()), UserId(new_uuid()), UserId(new_uuid())
        gone = memory.remember(
            tenant, alice, "likes window seats", source="message", actor=admin(tenant)
        )
        kept = memory.remember(
            tenant, bob, "likes window seats", source="message", actor=admin(tenant)
        )
        assert memory.forget_user(tenant, alice, actor=admin(tenant)) == 1
        assert memory.recall(tenant, alice, "window seats", actor=admin(tenant)) == []
        ns = namespace_for(tenant, "user_memory")
        assert vectors.fetch(ns, [str(gone.id), str(kept.id)]).missing == (str(gone.id),)
        assert [
            r.entry.id for r in memory.recall(tenant, bob, "window seats", actor=admin(tenant))
        ] == [kept.id]

    def test_bad_input_is_refused_before_anything_is_written(
        self, memory: UserMemory, vectors: VectorStore
    ) -> None:
        tenant, user = TenantId(new_uuid()), UserId(new_uuid())
        bad: Any = "diary"
        with pytest.raises(ValidationFailed):
            memory.remember(tenant, user, "x", source=bad, actor=admin(tenant))
        with pytest.raises(ValidationFailed):
            memory.remember(tenant, user, " ", source="message", actor=admin(tenant))
        with pytest.raises(ValidationFailed):
            memory.recall(tenant, user, "x", k=0, actor=admin(tenant))
        assert vectors.stats().namespaces.get(namespace_for(tenant, "user_memory")) is None
