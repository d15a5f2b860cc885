"""The repository behaviour of discovery's records, the same on every adapter.

Discovery's records are frozen: they are written once (memory entries, favourites,
feedback; search logs have their own contract), replaced whole (a review under moderation)
or saved at the next version, which ``save`` returns (a suggestion).
:class:`WrittenOnceContract` holds what they share with
:class:`~travelcore.testing.repositories.RepositoryContract`: add and get, the missing key,
the duplicate, the rollback, the tenant rules. The adapter's test module provides the
``uow_factory`` fixture ``(TenantId) -> UoW``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from travelcore.booking import BookingId
from travelcore.catalog import ActivityId, SessionId, VenueId
from travelcore.discovery.feedback import QuickFeedback, Review
from travelcore.discovery.personal import Favourite, MemoryEntry
from travelcore.discovery.suggestions import SuggestionRecord
from travelcore.kernel import (
    AlreadyExists,
    NotFound,
    StaleVersion,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people import ChildId

UowFactory = Callable[..., Any]
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class WrittenOnceContract:
    """Subclass, set ``repository`` and implement ``build``; override ``key`` (default
    ``entity.id``), ``fetch`` (default ``repository.get(key)``) and ``add`` where the
    repository differs."""

    repository: str

    def build(self, tenant: TenantId) -> Any:
        raise NotImplementedError

    def key(self, entity: Any) -> Any:
        return entity.id

    def fetch(self, uow: Any, key: Any) -> Any:
        return self.repo(uow).get(key)

    def add(self, uow: Any, entity: Any) -> None:
        self.repo(uow).add(entity)

    def repo(self, uow: Any) -> Any:
        return getattr(uow, self.repository)

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def stored(self, uow_factory: UowFactory, tenant: TenantId) -> Any:
        entity = self.build(tenant)
        with uow_factory(tenant) as uow:
            self.add(uow, entity)
            uow.commit()
        return entity

    def test_add_then_get_returns_an_equal_entity(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant) as uow:
            assert self.fetch(uow, self.key(entity)) == entity

    def test_get_of_a_missing_entity_raises_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(self.build(tenant)))

    def test_adding_the_same_key_twice_raises_already_exists(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant) as uow, pytest.raises(AlreadyExists):
            self.add(uow, entity)

    def test_rolled_back_adds_leave_nothing(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.build(tenant)
        with uow_factory(tenant) as uow:
            self.add(uow, entity)
        with uow_factory(tenant) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(entity))

    def test_other_tenants_never_see_the_entity(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(TenantId(new_uuid())) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(entity))

    def test_an_add_of_another_tenants_entity_is_refused(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        theirs = self.build(TenantId(new_uuid()))
        with uow_factory(tenant) as uow:
            with pytest.raises(ValidationFailed) as refused:
                self.add(uow, theirs)
            uow.commit()
        assert refused.value.field == "tenant_id"
        with uow_factory(theirs.tenant_id) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(theirs))


class MemoryEntryRepositoryContract(WrittenOnceContract):
    repository = "memory_entries"

    def build(self, tenant: TenantId) -> MemoryEntry:
        return MemoryEntry(
            id=new_uuid(),
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            text="prefers mornings",
            source="message",
            created_at=T0,
        )

    def fetch(self, uow: Any, key: Any) -> MemoryEntry:
        found = self.repo(uow).get_many([key])
        if key not in found:
            raise NotFound("memory entry", key)
        return found[key]  # type: ignore[no-any-return]


class FavouriteRepositoryContract(WrittenOnceContract):
    repository = "favourites"

    def build(self, tenant: TenantId) -> Favourite:
        return Favourite(
            tenant_id=tenant,
            child_id=ChildId(new_uuid()),
            activity_id=ActivityId(new_uuid()),
            created_at=T0,
        )

    def key(self, entity: Favourite) -> Any:
        return (entity.child_id, entity.activity_id)

    def fetch(self, uow: Any, key: Any) -> Favourite:
        found = [f for f in self.repo(uow).for_child(key[0]) if f.activity_id == key[1]]
        if not found:
            raise NotFound("favourite", key)
        return found[0]  # type: ignore[no-any-return]


class _OnePerBooking(WrittenOnceContract):
    def test_a_second_one_for_the_booking_raises_already_exists(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        first = self.stored(uow_factory, tenant)
        with uow_factory(tenant) as uow, pytest.raises(AlreadyExists):
            self.add(uow, attrs.evolve(first, id=new_uuid()))


class FeedbackRepositoryContract(_OnePerBooking):
    repository = "feedback"

    def build(self, tenant: TenantId) -> QuickFeedback:
        return QuickFeedback(
            id=new_uuid(),
            tenant_id=tenant,
            booking_id=BookingId(new_uuid()),
            child_id=ChildId(new_uuid()),
            activity_id=ActivityId(new_uuid()),
            is_positive=False,
            negative_tags=("content",),
            comment="too long",
            submitted_at=T0,
        )

    def test_marking_processed_changes_it_once(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant) as uow:
            assert self.repo(uow).mark_processed(entity.id, T0)
            assert not self.repo(uow).mark_processed(entity.id, T0)
            uow.commit()
        with uow_factory(tenant) as uow:
            stored = self.fetch(uow, entity.id)
        assert stored == attrs.evolve(entity, vector_processed=True, vector_processed_at=T0)


class ReviewRepositoryContract(_OnePerBooking):
    repository = "reviews"

    def build(self, tenant: TenantId) -> Review:
        return Review(
            id=new_uuid(),
            tenant_id=tenant,
            booking_id=BookingId(new_uuid()),
            activity_id=ActivityId(new_uuid()),
            venue_id=VenueId(new_uuid()),
            user_id=UserId(new_uuid()),
            rating=4,
            text="good",
            submitted_at=T0,
        )

    def test_save_replaces_the_review(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        entity = self.stored(uow_factory, tenant)
        flagged = attrs.evolve(entity, is_flagged=True, flagged_reason="spam")
        with uow_factory(tenant) as uow:
            self.repo(uow).save(flagged)
            uow.commit()
        with uow_factory(tenant) as uow:
            assert self.fetch(uow, entity.id) == flagged

    def test_saving_a_missing_or_foreign_review_is_refused(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        theirs = self.stored(uow_factory, TenantId(new_uuid()))
        with uow_factory(tenant) as uow:
            with pytest.raises(NotFound):
                self.repo(uow).save(self.build(tenant))
            with pytest.raises(ValidationFailed):
                self.repo(uow).save(theirs)


class SuggestionRepositoryContract(WrittenOnceContract):
    repository = "suggestions"

    def build(self, tenant: TenantId) -> SuggestionRecord:
        child = ChildId(new_uuid())
        return SuggestionRecord(
            id=new_uuid(),
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            month=date(2026, 4, 1),
            child_ids=(child,),
            session_id=SessionId(new_uuid()),
            activity_id=ActivityId(new_uuid()),
            rank=1,
            match_score=Decimal("0.5"),
            fits={child: Decimal("0.5")},
            generated_at=T0,
            expires_at=datetime(2026, 5, 1, tzinfo=UTC),
        )

    def add(self, uow: Any, entity: Any) -> None:
        self.repo(uow).add_many([entity])

    def test_save_stores_and_returns_the_next_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant) as uow:
            answered = attrs.evolve(entity, response="rejected", rejection_reason="far")
            saved = self.repo(uow).save(answered)
            uow.commit()
        assert saved == attrs.evolve(answered, version=entity.version + 1)
        with uow_factory(tenant) as uow:
            assert self.fetch(uow, entity.id) == saved

    def test_saving_a_stale_missing_or_foreign_copy_is_refused(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        theirs = self.stored(uow_factory, TenantId(new_uuid()))
        with uow_factory(tenant) as uow:
            self.repo(uow).save(entity)
            uow.commit()
        with uow_factory(tenant) as uow:
            with pytest.raises(StaleVersion):
                self.repo(uow).save(entity)
            with pytest.raises(NotFound):
                self.repo(uow).save(self.build(tenant))
            with pytest.raises(ValidationFailed):
                self.repo(uow).save(theirs)
