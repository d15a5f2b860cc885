"""What the export context needs from storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from travelcore.export.model import DataExport
from travelcore.kernel import UnitOfWork, UserId
from travelcore.people.model import ChildId
from travelcore.people.ports import ChildRepository, UserRepository


class DataExportRepository(Protocol):
    def add(self, export: DataExport) -> None: ...

    def get(self, export_id: UUID) -> DataExport: ...

    def save(self, export: DataExport) -> None:
        """Optimistic (``StaleVersion``)."""
        ...

    def requested(self, limit: int) -> list[DataExport]:
        """Exports waiting to be produced, oldest first."""
        ...

    def due_to_expire(self, now: datetime) -> list[DataExport]:
        """Ready or downloaded exports whose expiry has come."""
        ...

    def for_user(self, user_id: UserId) -> list[DataExport]:
        """Newest first."""
        ...


class PersonalData(Protocol):
    """Every stored record about a parent and their children, by export section."""

    def records(self, parent_id: UserId, child_ids: Sequence[ChildId]) -> dict[str, list[Any]]: ...


class ExportUnitOfWork(UnitOfWork, Protocol):
    @property
    def data_exports(self) -> DataExportRepository: ...

    @property
    def personal_data(self) -> PersonalData: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def children(self) -> ChildRepository: ...
