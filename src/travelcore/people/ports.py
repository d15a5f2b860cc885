"""What the people context needs from storage (same rules as the catalog's ports:
``AlreadyExists`` on duplicates, ``NotFound`` on misses, optimistic ``save``)."""

from __future__ import annotations

from typing import Protocol

from travelcore.kernel import IdempotencyStore, UnitOfWork, UserId
from travelcore.people.model import Child, ChildId, Corporate, CorporateId, User


class CorporateRepository(Protocol):
    def add(self, corporate: Corporate) -> None: ...

    def get(self, corporate_id: CorporateId) -> Corporate: ...

    def save(self, corporate: Corporate) -> None: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """``AlreadyExists`` for a taken id or email."""
        ...

    def get(self, user_id: UserId) -> User: ...

    def save(self, user: User) -> None: ...

    def find_by_email(self, email: str) -> User | None: ...

    def active_parents(self) -> list[UserId]:
        """The ids of the tenant's active parents, in id order (the monthly curation's)."""
        ...


class ChildRepository(Protocol):
    def add(self, child: Child) -> None: ...

    def get(self, child_id: ChildId) -> Child:
        """A plain read (every booking reads its child)."""
        ...

    def get_for_update(self, child_id: ChildId) -> Child:
        """``get`` for a command that changes the child (the kernel's locking read)."""
        ...

    def save(self, child: Child) -> None: ...

    def for_parent(self, parent_id: UserId) -> list[Child]:
        """The parent's children, ordered by date of birth then id."""
        ...


class Directory(Protocol):
    """Who users are and whom they work for: what a user's local "today" needs."""

    @property
    def corporates(self) -> CorporateRepository: ...

    @property
    def users(self) -> UserRepository: ...


class PeopleUnitOfWork(UnitOfWork, Protocol):
    @property
    def corporates(self) -> CorporateRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...
