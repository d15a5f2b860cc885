"""The PostgreSQL repositories of consent, data export and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg.types.json import Jsonb
from sqlalchemy import ColumnElement, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from travelcore.consent import ConsentKind, ConsentRecord, ConsentText
from travelcore.export import DataExport, ExportStatus
from travelcore.kernel import TenantId, UserId, dumps
from travelcore.people import Child, ChildId
from travelcore.retention import mention_pattern
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.people import PostgresChildRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.tables import (
    accounts,
    booking,
    discovery,
    kernel,
    ledger,
    notifications,
    outbox,
    people,
    vectors,
)
from travelcore_adapters.postgres.tables.privacy import (
    consent_texts,
    data_export_requests,
    parental_consent_records,
)


class _Texts(TableRepository[ConsentText]):
    table, entity = consent_texts, "consent_text"

    def to_row(self, e: ConsentText) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "consent_type": e.kind.value,
            "consent_version": e.version,
            "consent_text": e.text,
            "published_at": e.published_at,
        }

    def to_entity(self, row: Any) -> ConsentText:
        return ConsentText(
            tenant_id=TenantId(row.tenant_id),
            kind=row.consent_type,
            version=row.consent_version,
            text=row.consent_text,
            published_at=row.published_at,
        )


class _Records(TableRepository[ConsentRecord]):
    table, entity = parental_consent_records, "consent_record"

    def to_row(self, e: ConsentRecord) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "parent_id": e.parent_id,
            "child_id": e.child_id,
            "consent_type": e.kind.value,
            "consent_version": e.version,
            "consent_given": e.given,
            "consent_method": e.method.value,
            "consent_text": e.text,
            "ip_address": e.ip_address,
            "user_agent": e.user_agent,
            "withdrawal_reason": e.withdrawal_reason,
            "consented_at": e.recorded_at,
            "sequence": e.sequence,
        }

    def to_entity(self, row: Any) -> ConsentRecord:
        return ConsentRecord(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            parent_id=UserId(row.parent_id),
            child_id=ChildId(row.child_id),
            kind=row.consent_type,
            version=row.consent_version,
            given=row.consent_given,
            method=row.consent_method,
            text=row.consent_text,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            withdrawal_reason=row.withdrawal_reason,
            recorded_at=row.consented_at,
            sequence=row.sequence,
        )

    def where(self, condition: ColumnElement[bool]) -> list[ConsentRecord]:
        c = self.table.c
        return self._all(self._select(condition).order_by(c.consented_at, c.sequence, c.id))


class PostgresConsents:
    def __init__(self, scope: PostgresScope) -> None:
        self._texts = _Texts(scope)
        self._records = _Records(scope)

    def add_text(self, text: ConsentText) -> None:
        self._texts.add(text)

    def latest_text(self, kind: ConsentKind) -> ConsentText | None:
        c = consent_texts.c
        query = self._texts._select(c.consent_type == ConsentKind(kind).value)
        return self._texts._first(query.order_by(c.consent_version.desc()))

    def add(self, record: ConsentRecord) -> None:
        self._records.add(record)

    def for_child(self, child_id: ChildId) -> list[ConsentRecord]:
        return self._records.where(parental_consent_records.c.child_id == child_id)

    def for_parent(self, parent_id: UserId) -> list[ConsentRecord]:
        return self._records.where(parental_consent_records.c.parent_id == parent_id)


class PostgresDataExports(TableRepository[DataExport]):
    """``get`` locks the export's row (concurrent downloads of one export queue), and so
    does ``due_to_expire``: sweeps running at once expire each export once."""

    table, entity = data_export_requests, "data_export"
    audited = False  # an export's document is a copy of personal data: never kept twice
    lock_on_get: ClassVar[bool] = True
    due_lock: ClassVar[bool] = True

    def to_row(self, e: DataExport) -> dict[str, Any]:
        return {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "user_id": e.user_id,
            "export_type": e.export_type,
            "format": e.format,
            "status": e.status.value,
            "requested_at": e.requested_at,
            "started_at": e.started_at,
            "completed_at": e.completed_at,
            "document": None if e.document is None else Jsonb(e.document, dumps),
            "file_size_bytes": e.file_size_bytes,
            "file_expires_at": e.file_expires_at,
            "download_count": e.download_count,
            "last_downloaded_at": e.last_downloaded_at,
            "request_ip": e.request_ip,
            "request_user_agent": e.request_user_agent,
            "version": e.version,
        }

    def to_entity(self, row: Any) -> DataExport:
        return DataExport(
            id=row.id,
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            export_type=row.export_type,
            format=row.format,
            status=ExportStatus(row.status),
            requested_at=row.requested_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            document=row.document,
            file_size_bytes=row.file_size_bytes,
            file_expires_at=row.file_expires_at,
            download_count=row.download_count,
            last_downloaded_at=row.last_downloaded_at,
            request_ip=row.request_ip,
            request_user_agent=row.request_user_agent,
            version=row.version,
        )

    def requested(self, limit: int) -> list[DataExport]:
        c = self.table.c
        query = self._select(c.status == ExportStatus.REQUESTED.value)
        return self._all(query.order_by(c.requested_at, c.id).limit(limit))

    def due_to_expire(self, now: datetime) -> list[DataExport]:
        c = self.table.c
        open_ = c.status.in_([ExportStatus.READY.value, ExportStatus.DOWNLOADED.value])
        query = self._select(open_, c.file_expires_at <= now).order_by(c.id)
        return self._all(query.with_for_update(key_share=True) if self.due_lock else query)

    def for_user(self, user_id: UserId) -> list[DataExport]:
        c = self.table.c
        query = self._select(c.user_id == user_id)
        return self._all(query.order_by(c.requested_at.desc(), c.id))


class PostgresPersonalData:
    """Reads through the unit of work's repositories, so each record is the entity its
    own repository returns."""

    def __init__(self, uow: Any) -> None:
        self._uow = uow

    def records(self, parent_id: UserId, child_ids: Sequence[ChildId]) -> dict[str, list[Any]]:
        u, kids = self._uow, list(child_ids)
        conversations = list(u.conversations.for_user(parent_id))
        return {
            "profile": [u.users.get(parent_id)],
            "children": u.children.for_parent(parent_id),
            "bookings": u.bookings.for_parent(parent_id),
            "waitlist": _where(u.waitlist, booking.waitlist.c.user_id == parent_id),
            "ledger": _where(u.credits, ledger.credit_balances.c.user_id == parent_id),
            "feedback": _where(u.feedback, discovery.booking_feedback.c.child_id.in_(kids)),
            "reviews": _where(u.reviews, discovery.reviews.c.user_id == parent_id),
            "notifications": _where(
                u.notifications, notifications.notifications.c.user_id == parent_id
            ),
            "consents": u.consents.for_parent(parent_id),
            "suggestions": _where(u.suggestions, discovery.ai_suggestions.c.user_id == parent_id),
            "favourites": _where(u.favourites, discovery.child_favorites.c.child_id.in_(kids)),
            "search_logs": _where(u.search_logs, discovery.nl_search_logs.c.user_id == parent_id),
            "conversations": conversations,
            "messages": [m for c in conversations for m in u.conversations.messages(c.id)],
        }


def _where(repository: TableRepository[Any], condition: ColumnElement[bool]) -> list[Any]:
    return repository._all(repository._select(condition))


CHILD_ROWS = {
    "booking_feedback": discovery.booking_feedback.c.child_id,
    "child_favorites": discovery.child_favorites.c.child_id,
    "child_preferences": discovery.child_preferences.c.child_id,
    "parental_consent_records": parental_consent_records.c.child_id,
}


class PostgresErasure:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope
        self._children = PostgresChildRepository(scope)

    @property
    def _tid(self) -> TenantId:
        return self._scope.tenant_id

    def due(self, today: date, limit: int) -> list[Child]:
        c = people.children.c
        query = self._children._select(
            c.deletion_scheduled_for.is_not(None), c.deletion_scheduled_for <= today
        )
        return self._children._all(query.order_by(c.deletion_scheduled_for, c.id).limit(limit))

    def claim(self, child_id: ChildId) -> Child | None:
        """The child and its bookings and waitlist entries, locked: a command that writes
        a row about the child from one of them (quick feedback) holds it with the locking
        read, so it commits before the erasure deletes such rows, or waits and then names
        the placeholder."""
        c = people.children.c
        child = self._children._first(self._children._select(c.id == child_id).with_for_update())
        if child is not None:
            for table in (booking.bookings, booking.waitlist):
                self._scope.execute(
                    select(table.c.id)
                    .where(table.c.tenant_id == self._tid, table.c.child_id == child_id)
                    .with_for_update()
                )
        return child

    def delete_child_rows(self, table: str, child_id: ChildId) -> int:
        if table == "ai_suggestions":
            s = discovery.ai_suggestions
            where = s.c.child_ids.contains([child_id])
            return self._delete(delete(s).where(s.c.tenant_id == self._tid, where))
        if table == "vector_sync":
            v = vectors.vector_sync
            return self._delete(
                delete(v).where(
                    v.c.tenant_id == self._tid,
                    v.c.namespace.like("%child_preferences"),
                    v.c.source_id == str(child_id),
                )
            )
        column = CHILD_ROWS[table]
        return self._delete(
            delete(column.table).where(column.table.c.tenant_id == self._tid, column == child_id)
        )

    def delete_search_logs(self, user_id: UserId) -> int:
        s = discovery.nl_search_logs
        return self._delete(delete(s).where(s.c.tenant_id == self._tid, s.c.user_id == user_id))

    def delete_notifications_mentioning(self, user_id: UserId, terms: tuple[str, ...]) -> int:
        n = notifications.notifications
        texts = (n.c.title, n.c.body, func.coalesce(n.c.html, ""), cast(n.c.data_payload, String))
        mentions = or_(*(t.contains(term, autoescape=True) for t in texts for term in terms))
        return self._delete(
            delete(n).where(n.c.tenant_id == self._tid, n.c.user_id == user_id, mentions)
        )

    def delete_memory_entries(self, ids: Sequence[UUID]) -> int:
        if not ids:
            return 0
        m = discovery.user_memory
        return self._delete(delete(m).where(m.c.tenant_id == self._tid, m.c.id.in_(ids)))

    def redact(self, user_id: UserId, terms: tuple[str, ...], replacement: str) -> int:
        pattern = mention_regex(terms)
        r, f = discovery.reviews, discovery.booking_feedback
        m, conv, kids = accounts.conversation_messages, accounts.conversations, people.children
        chats = select(conv.c.id).where(conv.c.tenant_id == self._tid, conv.c.user_id == user_id)
        children = select(kids.c.id).where(
            kids.c.tenant_id == self._tid, kids.c.parent_id == user_id
        )
        changed = 0
        for column, owned in (
            (r.c.review_text, r.c.user_id == user_id),
            (f.c.comment, f.c.child_id.in_(children)),
            (m.c.content, m.c.conversation_id.in_(chats)),
        ):
            table = column.table
            changed += self._delete(
                update(table)
                .where(table.c.tenant_id == self._tid, owned, column.op("~*")(pattern))
                .values({column.name: func.regexp_replace(column, pattern, replacement, "gi")})
            )
        return changed

    def add_alias(self, alias: Child) -> None:
        self._children.add(alias)

    def repoint(self, child_id: ChildId, alias_id: ChildId) -> int:
        moved = 0
        for table in (booking.bookings, booking.waitlist):
            moved += self._delete(
                update(table)
                .where(table.c.tenant_id == self._tid, table.c.child_id == child_id)
                .values(child_id=alias_id)
            )
        return moved

    def replace_in_events(self, old: str, new: str) -> int:
        o = outbox.outbox
        as_text = cast(o.c.payload, Text)
        return self._delete(
            update(o)
            .where(o.c.tenant_id == self._tid, func.strpos(as_text, old) > 0)
            .values(payload=cast(func.replace(as_text, old, new), JSONB))
        )

    def forget_results(self, term: str) -> int:
        k = kernel.idempotency_keys
        return self._delete(
            delete(k).where(
                k.c.tenant_id == self._tid, func.strpos(cast(k.c.result, Text), term) > 0
            )
        )

    def delete_child(self, child_id: ChildId) -> bool:
        c = people.children
        return bool(self._delete(delete(c).where(c.c.tenant_id == self._tid, c.c.id == child_id)))

    def _delete(self, statement: Any) -> int:
        return int(self._scope.execute(statement).rowcount)


class PostgresChats:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def purge_ended(self, before: datetime) -> int:
        conv, messages = accounts.conversations, accounts.conversation_messages
        tid = self._scope.tenant_id
        ended = select(conv.c.id).where(
            conv.c.tenant_id == tid, conv.c.ended_at.is_not(None), conv.c.ended_at < before
        )
        self._scope.execute(
            delete(messages).where(
                messages.c.tenant_id == tid, messages.c.conversation_id.in_(ended)
            )
        )
        gone = self._scope.execute(
            delete(conv).where(conv.c.tenant_id == tid, conv.c.id.in_(ended))
        )
        return int(gone.rowcount)


def mention_regex(terms: Sequence[str]) -> str:
    """:func:`travelcore.retention.mentions` as a PostgreSQL regular expression."""
    return mention_pattern(terms, boundaries=(r"\m", r"\M"), escape=_regex_escape)


def _regex_escape(value: str) -> str:
    return "".join("\\" + ch if not ch.isalnum() else ch for ch in value)
