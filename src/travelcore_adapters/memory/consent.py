"""The memory consent repository: texts keyed by kind and version, records by id."""

from __future__ import annotations

from collections.abc import Hashable

from travelcore.consent import ConsentKind, ConsentRecord, ConsentText
from travelcore.kernel import UserId
from travelcore.people import ChildId
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class _Texts(MemoryRepository[ConsentText]):
    table, entity = "consent_texts", "consent_text"

    def key_of(self, entity: ConsentText) -> Hashable:
        return (entity.kind, entity.version)


class _Records(MemoryRepository[ConsentRecord]):
    table, entity = "parental_consent_records", "consent_record"


def _ordered(records: list[ConsentRecord]) -> list[ConsentRecord]:
    return sorted(records, key=lambda r: (r.recorded_at, r.sequence, str(r.id)))


class MemoryConsents:
    def __init__(self, scope: MemoryScope) -> None:
        self._texts = _Texts(scope)
        self._records = _Records(scope)

    def add_text(self, text: ConsentText) -> None:
        self._texts.add(text)

    def latest_text(self, kind: ConsentKind) -> ConsentText | None:
        texts = self._texts._rows(lambda t: t.kind == kind)
        return max(texts, key=lambda t: t.version, default=None)

    def add(self, record: ConsentRecord) -> None:
        self._records.add(record)

    def for_child(self, child_id: ChildId) -> list[ConsentRecord]:
        return _ordered(self._records._rows(lambda r: r.child_id == child_id))

    def for_parent(self, parent_id: UserId) -> list[ConsentRecord]:
        return _ordered(self._records._rows(lambda r: r.parent_id == parent_id))
