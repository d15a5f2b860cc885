"""People repositories in memory: corporates, users, children."""

from __future__ import annotations

from travelcore.kernel import UserId
from travelcore.people import Child, Corporate, User, UserRole
from travelcore_adapters.memory.repository import MemoryRepository


class MemoryCorporateRepository(MemoryRepository[Corporate]):
    table, entity = "corporates", "corporate"


class MemoryUserRepository(MemoryRepository[User]):
    table, entity = "users", "user"

    def _check_unique(self, entity: User) -> None:
        self._clash(entity, lambda row: row.email == entity.email, "email")

    def find_by_email(self, email: str) -> User | None:
        return self._first(lambda row: row.email == email.strip().lower())

    def active_parents(self) -> list[UserId]:
        rows = self._rows(lambda row: row.role is UserRole.PARENT and row.is_active)
        return sorted((row.id for row in rows), key=str)


class MemoryChildRepository(MemoryRepository[Child]):
    table, entity = "children", "child"

    def for_parent(self, parent_id: UserId) -> list[Child]:
        rows = self._rows(lambda row: row.parent_id == parent_id)
        return sorted(rows, key=lambda row: (row.date_of_birth, str(row.id)))
