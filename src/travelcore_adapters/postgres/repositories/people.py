"""The people repositories (corporates, users, children) with explicit row mapping."""

from __future__ import annotations

from typing import Any

from travelcore.kernel import TenantId, UserId
from travelcore.people import Child, ChildId, Corporate, CorporateId, User, UserRole
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.tables.people import children, corporates, users


class PostgresCorporateRepository(TableRepository[Corporate]):
    table, entity = corporates, "corporate"

    def to_row(self, entity: Corporate) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "company_name": entity.company_name,
            "primary_contact_name": entity.primary_contact_name,
            "primary_contact_email": entity.primary_contact_email,
            "contract_start_date": entity.contract_start_date,
            "contract_end_date": entity.contract_end_date,
            "timezone": entity.timezone,
            "is_active": entity.is_active,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Corporate:
        return Corporate(
            id=CorporateId(row.id),
            tenant_id=TenantId(row.tenant_id),
            company_name=row.company_name,
            primary_contact_name=row.primary_contact_name,
            primary_contact_email=row.primary_contact_email,
            contract_start_date=row.contract_start_date,
            contract_end_date=row.contract_end_date,
            timezone=row.timezone,
            is_active=row.is_active,
            version=row.version,
        )


class PostgresUserRepository(TableRepository[User]):
    table, entity = users, "user"

    def to_row(self, entity: User) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "email": entity.email,
            "role": entity.role.value,
            "first_name": entity.first_name,
            "last_name": entity.last_name,
            "corporate_id": entity.corporate_id,
            "venue_id": entity.venue_id,
            "timezone": entity.timezone,
            "is_active": entity.is_active,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> User:
        return User(
            id=UserId(row.id),
            tenant_id=TenantId(row.tenant_id),
            email=row.email,
            role=UserRole(row.role),
            first_name=row.first_name,
            last_name=row.last_name,
            corporate_id=None if row.corporate_id is None else CorporateId(row.corporate_id),
            venue_id=row.venue_id,
            timezone=row.timezone,
            is_active=row.is_active,
            version=row.version,
        )

    def find_by_email(self, email: str) -> User | None:
        return self._first(self._select(users.c.email == email.strip().lower()))

    def active_parents(self) -> list[UserId]:
        query = self._select(users.c.role == UserRole.PARENT.value, users.c.is_active)
        return [user.id for user in self._all(query.order_by(users.c.id))]


class PostgresChildRepository(TableRepository[Child]):
    table, entity = children, "child"

    def to_row(self, entity: Child) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "parent_id": entity.parent_id,
            "first_name": entity.first_name,
            "date_of_birth": entity.date_of_birth,
            "interests": list(entity.interests),
            "activities_to_avoid": list(entity.activities_to_avoid),
            "accessibility_needs": list(entity.accessibility_needs),
            "parental_consent_given": entity.parental_consent_given,
            "parental_consent_at": entity.parental_consent_at,
            "is_active": entity.is_active,
            "deletion_requested_at": entity.deletion_requested_at,
            "deletion_scheduled_for": entity.deletion_scheduled_for,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Child:
        return Child(
            id=ChildId(row.id),
            tenant_id=TenantId(row.tenant_id),
            parent_id=UserId(row.parent_id),
            first_name=row.first_name,
            date_of_birth=row.date_of_birth,
            interests=tuple(row.interests),
            activities_to_avoid=tuple(row.activities_to_avoid),
            accessibility_needs=tuple(row.accessibility_needs),
            parental_consent_given=row.parental_consent_given,
            parental_consent_at=row.parental_consent_at,
            is_active=row.is_active,
            deletion_requested_at=row.deletion_requested_at,
            deletion_scheduled_for=row.deletion_scheduled_for,
            version=row.version,
        )

    def for_parent(self, parent_id: UserId) -> list[Child]:
        query = self._select(children.c.parent_id == parent_id)
        return self._all(query.order_by(children.c.date_of_birth, children.c.id))
