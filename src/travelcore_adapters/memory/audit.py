"""The memory audit log: entries appended to one table, changed only by an erasure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from travelcore.audit import AuditEntry, AuditPage, AuditQuery
from travelcore.audit.model import page_of
from travelcore.kernel import check_tenant
from travelcore_adapters.memory.repository import MemoryScope

AUDIT_LOGS = "audit_logs"


class MemoryAuditLog:
    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            check_tenant(self._scope, entry.tenant_id)
            self._scope.tx.put(AUDIT_LOGS, (entry.tenant_id, entry.id), entry)

    def find(self, query: AuditQuery) -> AuditPage:
        found = sorted(
            (entry for entry in self._entries() if query.matches(entry)),
            key=lambda entry: entry.cursor,
        )
        return page_of(found[: query.limit + 1], query.limit)

    def purge_before(self, instant: datetime) -> int:
        old = [entry for entry in self._entries() if entry.at < instant]
        for entry in old:
            self._scope.tx.delete(AUDIT_LOGS, (entry.tenant_id, entry.id))
        return len(old)

    def forget(self, subject: UUID, replacement: UUID) -> int:
        old, new = str(subject), str(replacement)

        def swapped(data: Any) -> Any:
            return None if data is None else json.loads(json.dumps(data).replace(old, new))

        forgotten = 0
        for entry in self._entries():
            key = (entry.tenant_id, entry.id)
            if entry.entity_id == old:
                self._scope.tx.delete(AUDIT_LOGS, key)
            elif old in json.dumps([entry.before, entry.after]):
                rewritten = attrs.evolve(
                    entry, before=swapped(entry.before), after=swapped(entry.after)
                )
                self._scope.tx.put(AUDIT_LOGS, key, rewritten)
            else:
                continue
            forgotten += 1
        return forgotten

    def _entries(self) -> list[AuditEntry]:
        tenant = self._scope.tenant_id
        return [
            entry
            for _, entry in self._scope.tx.scan(
                AUDIT_LOGS, lambda key, _: isinstance(key, tuple) and key[0] == tenant
            )
        ]
