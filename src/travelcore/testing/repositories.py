"""The behaviour every repository shares, as one reusable contract base.

A concrete suite names the repository attribute on the unit of work and says how to build
a new entity (adding its prerequisites through the ports) and how to change one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from travelcore.kernel import AlreadyExists, NotFound, StaleVersion, TenantId, new_uuid

UowFactory = Callable[..., Any]


class RepositoryContract:
    """Subclass, set ``repository`` and implement ``build`` and ``change``; the adapter's
    test module provides the ``uow_factory`` fixture ``(TenantId, EventBus | None) -> UoW``."""

    repository: str

    def build(self, uow: Any) -> Any:
        """A new, unsaved entity; prerequisites are added through ``uow``."""
        raise NotImplementedError

    def change(self, entity: Any) -> None:
        """Modify a persisted field of ``entity``."""
        raise NotImplementedError

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    def repo(self, uow: Any) -> Any:
        return getattr(uow, self.repository)

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
            assert self.repo(uow).get(entity.id) == entity

    def test_get_of_a_missing_entity_raises_not_found(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow, pytest.raises(NotFound):
            self.repo(uow).get(new_uuid())

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
            loaded = self.repo(uow).get(entity.id)
            before = loaded.version
            self.change(loaded)
            self.repo(uow).save(loaded)
            assert loaded.version == before + 1
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert self.repo(uow).get(entity.id) == loaded

    def test_saving_a_stale_copy_raises_stale_version(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            first = self.repo(uow).get(entity.id)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            second = self.repo(uow).get(entity.id)
            self.change(second)
            self.repo(uow).save(second)
            uow.commit()
        with uow_factory(tenant, None) as uow:
            self.change(first)
            with pytest.raises(StaleVersion):
                self.repo(uow).save(first)

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
            self.repo(uow).get(entity.id)

    def test_other_tenants_never_see_the_entity(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        entity = self.stored(uow_factory, tenant)
        with uow_factory(TenantId(new_uuid()), None) as uow, pytest.raises(NotFound):
            self.repo(uow).get(entity.id)
