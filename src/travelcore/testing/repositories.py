"""The behaviour every repository shares, as one reusable contract base.

A concrete suite names the repository attribute on the unit of work and says how to build
a new entity (adding its prerequisites through the ports) and how to change one. It checks
the kernel's version and tenant rules (``travelcore.kernel.repository``) with the same
error classes on every adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import (
    FIRST_VERSION,
    AlreadyExists,
    NotFound,
    StaleVersion,
    TenantId,
    ValidationFailed,
    new_uuid,
)

UowFactory = Callable[..., Any]


class RepositoryContract:
    """Subclass, set ``repository`` and implement ``build`` and ``change``; the adapter's
    test module provides the ``uow_factory`` fixture ``(TenantId, EventBus | None) -> UoW``.

    Override ``key`` (default ``entity.id``), ``fetch`` (default ``repository.get(key)``)
    and ``missing_key`` for repositories keyed otherwise."""

    repository: str

    def build(self, uow: Any) -> Any:
        """A new, unsaved entity of ``uow``'s tenant; prerequisites are added through
        ``uow``."""
        raise NotImplementedError

    def change(self, entity: Any) -> Any:
        """Modify a persisted field of ``entity``: in place (return ``None``) or as a new
        value (return it)."""
        raise NotImplementedError

    def key(self, entity: Any) -> Any:
        return entity.id

    def missing_key(self) -> Any:
        return new_uuid()

    def fetch(self, uow: Any, key: Any) -> Any:
        return self.repo(uow).get(key)

    def fetch_for_update(self, uow: Any, key: Any) -> Any:
        """The locking read (``get_for_update``) of what ``fetch`` reads."""
        return self.repo(uow).get_for_update(key)

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def repo(self, uow: Any) -> Any:
        return getattr(uow, self.repository)

    def changed(self, entity: Any) -> Any:
        result = self.change(entity)
        return entity if result is None else result

    def stored(self, uow_factory: UowFactory, tenant: TenantId) -> Any:
        with uow_factory(tenant, None) as uow:
            entity = self.build(uow)
            self.repo(uow).add(entity)
            uow.commit()
        return entity

    def test_add_then_get_returns_an_equal_entity(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            assert self.fetch(uow, self.key(entity)) == entity

    def test_get_of_a_missing_entity_raises_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.missing_key())

    def test_adding_the_same_id_twice_raises_already_exists(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow, pytest.raises(AlreadyExists):
            self.repo(uow).add(entity)

    def test_save_persists_changes_and_bumps_the_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            loaded = self.fetch(uow, self.key(entity))
            before = loaded.version
            changed = self.changed(loaded)
            assert changed.version == before  # only a save changes the version
            self.repo(uow).save(changed)
            assert changed.version == before + 1
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert self.fetch(uow, self.key(entity)) == changed

    def test_an_entity_is_added_at_the_first_version_and_a_save_adds_one(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        """The kernel's version rule, on the entity and on the stored row: ``add`` stores
        ``FIRST_VERSION``, a save one more."""
        entity = self.stored(uow_factory, tenant)
        assert entity.version == FIRST_VERSION
        with uow_factory(tenant, None) as uow:
            loaded = self.fetch(uow, self.key(entity))
            assert loaded.version == FIRST_VERSION
            self.repo(uow).save(self.changed(loaded))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert self.fetch(uow, self.key(entity)).version == FIRST_VERSION + 1

    def test_a_locking_read_gives_what_get_gives_and_its_save_follows_the_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            locked = self.fetch_for_update(uow, self.key(entity))
            assert locked == self.fetch(uow, self.key(entity))
            before = locked.version
            changed = self.changed(locked)
            self.repo(uow).save(changed)
            assert changed.version == before + 1
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert self.fetch(uow, self.key(entity)) == changed

    def test_a_locking_read_of_a_missing_entity_raises_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            self.fetch_for_update(uow, self.missing_key())

    def test_saving_twice_in_one_unit_of_work_follows_the_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            loaded = self.fetch(uow, self.key(entity))
            first = self.changed(loaded)
            self.repo(uow).save(first)
            self.repo(uow).save(first)  # saved at the version the first save stored
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert self.fetch(uow, self.key(entity)).version == entity.version + 2

    def test_saving_a_stale_copy_raises_stale_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            first = self.fetch(uow, self.key(entity))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            second = self.fetch(uow, self.key(entity))
            self.repo(uow).save(self.changed(second))
            uow.commit()
        with uow_factory(tenant, None) as uow, pytest.raises(StaleVersion):
            self.repo(uow).save(self.changed(first))

    def test_saving_a_missing_entity_raises_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            entity = self.build(uow)
            with pytest.raises(NotFound):
                self.repo(uow).save(entity)

    def test_rolled_back_adds_leave_nothing(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            entity = self.build(uow)
            self.repo(uow).add(entity)
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(entity))

    def test_other_tenants_never_see_the_entity(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(TenantId(new_uuid()), None) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(entity))

    def test_a_write_of_another_tenants_entity_is_refused(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        """Adding or saving an entity whose tenant is not the unit of work's raises
        ``ValidationFailed("tenant_id", ...)`` and writes nothing."""
        theirs = self.stored(uow_factory, TenantId(new_uuid()))
        with uow_factory(tenant, None) as uow:
            with pytest.raises(ValidationFailed) as added:
                self.repo(uow).add(theirs)
            with pytest.raises(ValidationFailed) as saved:
                self.repo(uow).save(self.changed(theirs))
            uow.commit()
        assert added.value.field == saved.value.field == "tenant_id"
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            self.fetch(uow, self.key(theirs))
