"""The PostgreSQL audit log over ``audit_logs`` (insert and select only; the retention
purge and the erasure call the owner's ``travelcore_purge_audit_logs`` and
``travelcore_forget_in_audit_logs``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import DateTime, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import UUID

from travelcore.audit import AuditAction, AuditEntry, AuditPage, AuditQuery
from travelcore.audit.model import NO_REQUEST, page_of
from travelcore.kernel import RequestContext, Role, TenantId, UserId, check_tenant
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.statements import Statement, inserts_of_rows
from travelcore_adapters.postgres.tables.audit import audit_logs as t

FORGET = Statement(
    select(
        func.travelcore_forget_in_audit_logs(
            bindparam("subject", type_=UUID(as_uuid=True)),
            bindparam("replacement", type_=UUID(as_uuid=True)),
        )
    )
)
PURGE = Statement(
    select(func.travelcore_purge_audit_logs(bindparam("cutoff", type_=DateTime(timezone=True))))
)


def audit_statements(entries: Sequence[AuditEntry]) -> Iterator[tuple[Statement, dict[str, Any]]]:
    """The statements that append ``entries`` (several rows in each)."""
    return inserts_of_rows(t, [_row(entry) for entry in entries])


class PostgresAuditLog:
    def __init__(self, scope: PostgresScope) -> None:
        self._scope = scope

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            check_tenant(self._scope, entry.tenant_id)
        for statement, params in audit_statements(entries):
            self._scope.write(statement, params)

    def find(self, query: AuditQuery) -> AuditPage:
        c = t.c
        where = [c.tenant_id == self._scope.tenant_id]
        if query.entity_type is not None:
            where.append(c.entity_type == query.entity_type)
        if query.entity_id is not None:
            where.append(c.entity_id == query.entity_id)
        if query.actor is not None:
            where.append(c.actor == query.actor)
        if query.request_id is not None:
            where.append(c.request_id == query.request_id)
        if query.ip_address is not None:
            where.append(c.ip_address == query.ip_address)
        if query.since is not None:
            where.append(c.created_at >= query.since)
        if query.until is not None:
            where.append(c.created_at < query.until)
        if query.after is not None:
            where.append(tuple_(c.created_at, c.id) > tuple_(query.after.at, query.after.id))
        stmt = select(t).where(*where).order_by(c.created_at, c.id).limit(query.limit + 1)
        rows = self._scope.execute(stmt).all()
        return page_of([_entry(row) for row in rows], query.limit)

    def forget(self, subject: uuid.UUID, replacement: uuid.UUID) -> int:
        [row] = self._scope.rows(FORGET, {"subject": subject, "replacement": replacement})
        return int(row[0])

    def purge_before(self, instant: datetime) -> int:
        [row] = self._scope.rows(PURGE, {"cutoff": instant})
        return int(row[0])


def _row(entry: AuditEntry) -> dict[str, Any]:
    """The entry's row; ``before`` and ``after`` are JSON-ready already (``audit_entries``
    made them through ``to_data``), so they go to JSON as they are."""
    request = entry.request or NO_REQUEST
    return {
        "tenant_id": entry.tenant_id,
        "id": entry.id,
        "user_id": entry.user_id,
        "actor": entry.actor,
        "actor_role": None if entry.role is None else entry.role.value,
        "api_key_id": entry.api_key_id,
        "action_type": entry.action.value,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "old_values": None if entry.before is None else Jsonb(entry.before),
        "new_values": None if entry.after is None else Jsonb(entry.after),
        "created_at": entry.at,
        "ip_address": request.ip_address,
        "user_agent": request.user_agent,
        "request_id": request.request_id,
        "session_id": request.session_id,
    }


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        tenant_id=TenantId(row.tenant_id),
        actor=row.actor,
        role=None if row.actor_role is None else Role(row.actor_role),
        user_id=None if row.user_id is None else UserId(row.user_id),
        api_key_id=row.api_key_id,
        action=AuditAction(row.action_type),
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        before=row.old_values,
        after=row.new_values,
        at=row.created_at,
        request=_request(row),
    )


def _request(row: Any) -> RequestContext | None:
    ip = None if row.ip_address is None else str(row.ip_address)
    found = (ip, row.user_agent, row.request_id, row.session_id)
    if found == (None, None, None, None):
        return None
    return RequestContext(
        ip_address=ip,
        user_agent=row.user_agent,
        request_id=row.request_id,
        session_id=row.session_id,
    )
