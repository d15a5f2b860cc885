"""What the consent context needs from storage."""

from __future__ import annotations

from typing import Protocol

from travelcore.consent.model import ConsentKind, ConsentRecord, ConsentText
from travelcore.kernel import UnitOfWork, UserId
from travelcore.people.model import ChildId
from travelcore.people.ports import ChildRepository


class ConsentRepository(Protocol):
    def add_text(self, text: ConsentText) -> None:
        """``AlreadyExists`` if the kind already has that version."""
        ...

    def latest_text(self, kind: ConsentKind) -> ConsentText | None: ...

    def add(self, record: ConsentRecord) -> None:
        """Records are only ever added (``AlreadyExists`` for a taken id)."""
        ...

    def for_child(self, child_id: ChildId) -> list[ConsentRecord]:
        """Oldest first (by time, then sequence)."""
        ...

    def for_parent(self, parent_id: UserId) -> list[ConsentRecord]:
        """Oldest first (by time, then sequence)."""
        ...


class PreferenceRemover(Protocol):
    """Where a child's preference vector is stored (the discovery context's repository)."""

    def remove(self, child_id: ChildId) -> bool:
        """Delete the child's stored preference; ``False`` if there was none."""
        ...


class ConsentUnitOfWork(UnitOfWork, Protocol):
    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def child_preferences(self) -> PreferenceRemover: ...
