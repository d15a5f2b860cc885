"""The memory repositories of data export and erasure, and the reader of a parent's
personal data (every table that holds something about a parent or their children)."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs

from travelcore.export import DataExport, ExportStatus
from travelcore.kernel import UserId, to_data
from travelcore.people import Child, ChildId
from travelcore.retention import mentions
from travelcore_adapters.memory.outbox import OUTBOX
from travelcore_adapters.memory.repository import MemoryRepository, MemoryScope


class MemoryDataExports(MemoryRepository[DataExport]):
    table, entity = "data_export_requests", "data_export"
    audited = False  # an export's document is a copy of personal data: never kept twice

    def requested(self, limit: int) -> list[DataExport]:
        rows = self._rows(lambda e: e.status is ExportStatus.REQUESTED)
        return sorted(rows, key=lambda e: (e.requested_at, str(e.id)))[:limit]

    def due_to_expire(self, now: datetime) -> list[DataExport]:
        open_ = {ExportStatus.READY, ExportStatus.DOWNLOADED}
        rows = self._rows(lambda e: e.status in open_ and e.is_due_to_expire(now))
        return sorted(rows, key=lambda e: str(e.id))

    def for_user(self, user_id: UserId) -> list[DataExport]:
        rows = self._rows(lambda e: e.user_id == user_id)
        return sorted(rows, key=lambda e: (e.requested_at, str(e.id)), reverse=True)


class _Tables:
    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope

    def mine(self, table: str) -> Iterator[tuple[Hashable, Any]]:
        tenant = self._scope.tenant_id
        for key, row in self._scope.tx.scan(table):
            if isinstance(key, tuple) and key[0] == tenant:
                yield key, row

    def rows(self, table: str, where: Callable[[Any], bool]) -> list[Any]:
        return [row for _, row in self.mine(table) if where(row)]

    def delete(self, table: str, where: Callable[[Any], bool]) -> int:
        gone = [key for key, row in self.mine(table) if where(row)]
        for key in gone:
            self._scope.tx.delete(table, key)
        return len(gone)

    def update(self, table: str, change: Callable[[Any], Any | None]) -> int:
        """Store ``change(row)`` where it is not ``None``."""
        changed = 0
        for key, row in list(self.mine(table)):
            new = change(row)
            if new is not None:
                self._scope.tx.put(table, key, new)
                changed += 1
        return changed


class MemoryPersonalData:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._tables = _Tables(uow)

    def records(self, parent_id: UserId, child_ids: Sequence[ChildId]) -> dict[str, list[Any]]:
        u, rows, kids = self._uow, self._tables.rows, set(child_ids)
        conversations = list(u.conversations.for_user(parent_id))
        return {
            "profile": [u.users.get(parent_id)],
            "children": u.children.for_parent(parent_id),
            "bookings": u.bookings.for_parent(parent_id),
            "waitlist": rows("waitlist", lambda r: r.user_id == parent_id),
            "ledger": rows("credit_balances", lambda r: r.user_id == parent_id),
            "feedback": rows("booking_feedback", lambda r: r.child_id in kids),
            "reviews": rows("reviews", lambda r: r.user_id == parent_id),
            "notifications": rows("notifications", lambda r: r.user_id == parent_id),
            "consents": u.consents.for_parent(parent_id),
            "suggestions": rows("ai_suggestions", lambda r: r.user_id == parent_id),
            "favourites": rows("child_favorites", lambda r: r.child_id in kids),
            "search_logs": rows("nl_search_logs", lambda r: r.user_id == parent_id),
            "conversations": conversations,
            "messages": [m for c in conversations for m in u.conversations.messages(c.id)],
        }


CHILD_ROWS: dict[str, Callable[[Any, ChildId], bool]] = {
    "booking_feedback": lambda row, child: row.child_id == child,
    "ai_suggestions": lambda row, child: child in row.child_ids,
    "child_favorites": lambda row, child: row.child_id == child,
    "child_preferences": lambda row, child: row.child_id == child,
    "parental_consent_records": lambda row, child: row.child_id == child,
    "vector_sync": lambda row, child: (
        row.namespace.endswith("child_preferences") and row.source_id == str(child)
    ),
}


def _mentions(row: Any, terms: tuple[str, ...]) -> bool:
    text = json.dumps(to_data(row))
    return any(term in text for term in terms)


def _replaced(data: Any, old: str, new: str) -> Any:
    return json.loads(json.dumps(data).replace(old, new))


class MemoryErasure:
    def __init__(self, scope: MemoryScope) -> None:
        self._scope = scope
        self._tables = _Tables(scope)

    def due(self, today: date, limit: int) -> list[Child]:
        rows = self._tables.rows(
            "children",
            lambda c: c.deletion_scheduled_for is not None and c.deletion_scheduled_for <= today,
        )
        return sorted(rows, key=lambda c: (c.deletion_scheduled_for, str(c.id)))[:limit]

    def claim(self, child_id: ChildId) -> Child | None:
        found: Child | None = self._scope.tx.get("children", (self._scope.tenant_id, child_id))
        return found

    def delete_child_rows(self, table: str, child_id: ChildId) -> int:
        match = CHILD_ROWS[table]
        return self._tables.delete(table, lambda row: match(row, child_id))

    def delete_search_logs(self, user_id: UserId) -> int:
        return self._tables.delete("nl_search_logs", lambda row: row.user_id == user_id)

    def delete_notifications_mentioning(self, user_id: UserId, terms: tuple[str, ...]) -> int:
        return self._tables.delete(
            "notifications", lambda row: row.user_id == user_id and _mentions(row, terms)
        )

    def delete_memory_entries(self, ids: Sequence[UUID]) -> int:
        gone = set(ids)
        return self._tables.delete("user_memory", lambda row: row.id in gone)

    def redact(self, user_id: UserId, terms: tuple[str, ...], replacement: str) -> int:
        pattern = mentions(terms)

        def redacted(field: str) -> Callable[[Any], Any | None]:
            def change(row: Any) -> Any | None:
                text = getattr(row, field)
                if text is None or not pattern.search(text):
                    return None
                return attrs.evolve(row, **{field: pattern.sub(replacement, text)})

            return change

        rows = self._tables.rows
        chats = {c.id for c in rows("travel/conversations", lambda c: c.user_id == user_id)}
        kids = {c.id for c in rows("children", lambda c: c.parent_id == user_id)}
        reviews, comments, messages = redacted("text"), redacted("comment"), redacted("content")
        update = self._tables.update
        return (
            update("reviews", lambda r: reviews(r) if r.user_id == user_id else None)
            + update("booking_feedback", lambda f: comments(f) if f.child_id in kids else None)
            + update(
                "travel/conversation_messages",
                lambda m: messages(m) if m.conversation_id in chats else None,
            )
        )

    def add_alias(self, alias: Child) -> None:
        self._scope.tx.put("children", (alias.tenant_id, alias.id), alias)

    def repoint(self, child_id: ChildId, alias_id: ChildId) -> int:
        def moved(row: Any) -> Any | None:
            return attrs.evolve(row, child_id=alias_id) if row.child_id == child_id else None

        return self._tables.update("bookings", moved) + self._tables.update("waitlist", moved)

    def replace_in_events(self, old: str, new: str) -> int:
        changed = 0
        tx, tenant = self._scope.tx, self._scope.tenant_id
        for key, entry in list(tx.scan(OUTBOX)):
            message = entry.message
            if message.tenant_id == tenant and old in json.dumps(message.payload):
                message = attrs.evolve(message, payload=_replaced(message.payload, old, new))
                tx.put(OUTBOX, key, attrs.evolve(entry, message=message))
                changed += 1
        return changed

    def forget_results(self, term: str) -> int:
        return self._tables.delete("idempotency", lambda row: term in json.dumps(row.result))

    def delete_child(self, child_id: ChildId) -> bool:
        return bool(self._tables.delete("children", lambda row: row.id == child_id))


class MemoryChats:
    def __init__(self, scope: MemoryScope) -> None:
        self._tables = _Tables(scope)

    def purge_ended(self, before: datetime) -> int:
        ended = {
            row.id
            for row in self._tables.rows(
                "travel/conversations", lambda c: c.ended_at is not None and c.ended_at < before
            )
        }
        self._tables.delete("travel/conversation_messages", lambda m: m.conversation_id in ended)
        return self._tables.delete("travel/conversations", lambda c: c.id in ended)
