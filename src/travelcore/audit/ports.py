"""The audit log port and the unit of work it needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from travelcore.audit.model import AuditEntry, AuditPage, AuditQuery
from travelcore.kernel import TenantId, UnitOfWork


class AuditLog(Protocol):
    """The unit of work's tenant's audit entries: appended and read, never changed."""

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append ``entries`` in the unit of work's transaction."""
        ...

    def find(self, query: AuditQuery) -> AuditPage:
        """The page of entries ``query`` selects, ordered by ``(at, id)``."""
        ...

    def purge_before(self, instant: datetime) -> int:
        """Remove the entries dated before ``instant`` (retention); returns how many."""
        ...

    def forget(self, subject: UUID, replacement: UUID) -> int:
        """Erasure of ``subject``: remove the entries of the entity ``subject`` and write
        ``replacement`` for ``subject`` in the others' before and after; returns how
        many entries were removed or rewritten."""
        ...


class AuditUnitOfWork(UnitOfWork, Protocol):
    @property
    def audit_log(self) -> AuditLog: ...


AuditUowFactory = Callable[[TenantId], AuditUnitOfWork]
