"""Contract suites for the people repositories: corporates, users, children."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from travelcore.kernel import AlreadyExists, TenantId, new_uuid
from travelcore.people import Child, Corporate, User, UserRole
from travelcore.testing.builders import a_child, a_corporate, a_parent
from travelcore.testing.repositories import RepositoryContract, UowFactory


def add_parent(uow: Any) -> User:
    corporate = a_corporate(uow.tenant_id)
    uow.corporates.add(corporate)
    parent = a_parent(uow.tenant_id, corporate)
    uow.users.add(parent)
    return parent


class CorporateRepositoryContract(RepositoryContract):
    repository = "corporates"

    def build(self, uow: Any) -> Corporate:
        return a_corporate(uow.tenant_id)

    def change(self, entity: Any) -> None:
        entity.is_active = False
        entity.contract_end_date = date(2027, 1, 1)


class UserRepositoryContract(RepositoryContract):
    repository = "users"

    def build(self, uow: Any) -> User:
        corporate = a_corporate(uow.tenant_id)
        uow.corporates.add(corporate)
        return a_parent(uow.tenant_id, corporate)

    def change(self, entity: Any) -> None:
        entity.last_name = "Renamed"

    def test_emails_are_unique(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        user = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            twin = self.build(uow)
            twin.email = user.email
            with pytest.raises(AlreadyExists):
                uow.users.add(twin)

    def test_find_by_email(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        user = self.stored(uow_factory, tenant)
        with uow_factory(tenant, None) as uow:
            assert uow.users.find_by_email(user.email) == user
            assert uow.users.find_by_email("nobody@example.org") is None

    def test_active_parents(self, uow_factory: UowFactory, tenant: TenantId) -> None:
        with uow_factory(tenant, None) as uow:
            parents = [add_parent(uow) for _ in range(3)]
            parents[1].is_active = False
            uow.users.save(parents[1])
            admin = a_corporate(tenant)
            uow.corporates.add(admin)
            uow.users.add(
                User.create(
                    tenant,
                    email="hr@admin.example",
                    role=UserRole.HR_ADMIN,
                    first_name="Hal",
                    last_name="Roe",
                    corporate_id=admin.id,
                )
            )
            uow.commit()
        active = sorted((parents[0].id, parents[2].id), key=str)
        with uow_factory(tenant, None) as uow:
            assert [str(i) for i in uow.users.active_parents()] == [str(i) for i in active]
        with uow_factory(TenantId(new_uuid()), None) as uow:
            assert uow.users.active_parents() == []


class ChildRepositoryContract(RepositoryContract):
    repository = "children"

    def build(self, uow: Any) -> Child:
        return a_child(uow.tenant_id, add_parent(uow))

    def change(self, entity: Any) -> None:
        entity.interests = ("music", "stem")
        entity.parental_consent_given = True

    def test_for_parent_lists_children_youngest_last(
        self, uow_factory: UowFactory, tenant: TenantId
    ) -> None:
        with uow_factory(tenant, None) as uow:
            parent = add_parent(uow)
            younger = a_child(tenant, parent, date(2020, 1, 1), "Leo")
            older = a_child(tenant, parent, date(2016, 1, 1), "Ava")
            uow.children.add(younger)
            uow.children.add(older)
            uow.children.add(self.build(uow))
            uow.commit()
        with uow_factory(tenant, None) as uow:
            assert [c.id for c in uow.children.for_parent(parent.id)] == [older.id, younger.id]
