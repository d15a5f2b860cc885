"""Read-ahead for the booking rules: what booking a child reads, in the round trip of the
use case's first query.

Each query is the one the repository method would run, or one that reaches the same rows
through the session or the parent (the activity, the venue, the balance's entries and
holds) and is remembered under the repository's own query; the repositories then find
the rows without asking the server.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, bindparam, exists, or_, select

from travelcore.booking import ACTIVE_STATUSES
from travelcore.catalog import SessionId
from travelcore.kernel import UserId
from travelcore.people import ChildId
from travelcore_adapters.postgres.repositories import ledger
from travelcore_adapters.postgres.repositories.booking import (
    ACTIVE_FOR_CHILD,
    BY_CODE,
    WAITLIST_ENTRY,
    WAITLIST_OF_SESSION,
)
from travelcore_adapters.postgres.statements import Statement, get_statement
from travelcore_adapters.postgres.tables.booking import bookings, waitlist
from travelcore_adapters.postgres.tables.catalog import activities, activity_sessions, venues
from travelcore_adapters.postgres.tables.ledger import credit_balances, credit_holds, credit_ledger
from travelcore_adapters.postgres.tables.people import children

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


@functools.cache
def _row_type(table: Table) -> tuple[Any, int, int]:
    """Rows of ``table`` (fields named after its columns), cut out of a joined row; how
    many columns it has, and where its ``id`` is."""
    columns = table.c.keys()
    return namedtuple(f"{table.name}_row", columns), len(columns), columns.index("id")


def _joined(*tables: Table) -> list[Any]:
    """The columns of ``tables`` side by side, labelled so their names do not clash."""
    return [c.label(f"{t.name}__{c.name}") for t in tables for c in t.c]


def _split(row: Any, *tables: Table) -> list[list[Any]]:
    """A joined row cut into one row per table ([] where an outer join found none)."""
    parts, start = [], 0
    for table in tables:
        row_type, width, id_at = _row_type(table)
        values = row[start : start + width]
        start += width
        parts.append([row_type._make(values)] if values[id_at] is not None else [])
    return parts


def _of_current_balance(table: Table, order: str) -> Statement:
    """The rows of ``table`` that belong to the user's balance for ``day``."""
    current = ledger.CURRENT_QUERY.with_only_columns(credit_balances.c.id).scalar_subquery()
    return Statement(
        select(table)
        .where(table.c.tenant_id == bindparam("tid"), table.c.balance_id == current)
        .order_by(table.c[order])
    )


s, a, v = activity_sessions, activities, venues
SESSION = Statement(
    select(*_joined(s, a, v))
    .join_from(s, a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.activity_id))
    .join(v, and_(v.c.tenant_id == s.c.tenant_id, v.c.id == s.c.venue_id))
    .where(s.c.tenant_id == bindparam("tid"), s.c.id == bindparam("session_id"))
    .with_for_update(key_share=True, of=s)
)
c, bk, w, taken = children, bookings, waitlist, bookings.alias("taken")
CODE_TAKEN = (
    exists()
    .where(taken.c.tenant_id == bindparam("tid"), taken.c.confirmation_code == bindparam("code"))
    .label("code_taken")
)
CHILD = Statement(
    select(*_joined(c, bk, w), CODE_TAKEN)
    .select_from(
        c.outerjoin(
            bk,
            and_(
                bk.c.tenant_id == c.c.tenant_id,
                bk.c.session_id == bindparam("session_id"),
                bk.c.child_id == c.c.id,
                or_(*(bk.c.status == status.value for status in ACTIVE_STATUSES)),
            ),
        ).outerjoin(
            w,
            and_(
                w.c.tenant_id == c.c.tenant_id,
                w.c.session_id == bindparam("session_id"),
                w.c.child_id == c.c.id,
            ),
        )
    )
    .where(c.c.tenant_id == bindparam("tid"), c.c.id == bindparam("child_id"))
)
ENTRIES_OF_CURRENT = _of_current_balance(credit_ledger, "sequence")
HOLDS_OF_CURRENT = _of_current_balance(credit_holds, "position")


def prefetch_booking(
    uow: PostgresUnitOfWork,
    session_id: SessionId,
    child_ids: Sequence[ChildId],
    parent_id: UserId,
    day: date,
    codes: Sequence[str],
) -> None:
    tid = uow.tenant_id
    session = {"tid": tid, "session_id": session_id}
    current = {"tid": tid, "user_id": parent_id, "day": day}
    paired = list(zip(child_ids, [*codes, *[None] * len(child_ids)], strict=False))
    queries: list[tuple[Statement, dict[str, Any]]] = [
        (SESSION, session),
        (WAITLIST_OF_SESSION, session),
        (ledger.CURRENT_LOCKED, current),
        (ENTRIES_OF_CURRENT, current),
        (HOLDS_OF_CURRENT, current),
        *((CHILD, {**session, "child_id": kid, "code": code}) for kid, code in paired),
        *((BY_CODE, {"tid": tid, "code": code}) for code in codes[len(child_ids) :]),
    ]

    def remember(results: list[list[Any]]) -> None:
        joined, _, balance, entries, holds, *kids = results[: 5 + len(child_ids)]
        if joined:
            for table, rows in zip((s, a, v), _split(joined[0], s, a, v), strict=True):
                lock = table is s
                uow.remember(get_statement(table, lock), {"tid": tid, "id": rows[0].id}, rows)
        if balance:
            of_balance = {"tid": tid, "balance_id": balance[0].id}
            uow.remember(ledger.CURRENT, current, balance)
            uow.remember(ledger.GET, {"tid": tid, "id": balance[0].id}, balance)
            uow.remember(ledger.ENTRIES, of_balance, entries)
            uow.remember(ledger.HOLDS, of_balance, holds)
        for (child_id, code), rows in zip(paired, kids, strict=True):
            child, booking, entry = _split(rows[0], c, bk, w) if rows else ([], [], [])
            uow.remember(get_statement(c, False), {"tid": tid, "id": child_id}, child)
            if child:  # then its booking and waitlist entry on the session are known too
                kid = {**session, "child_id": child_id}
                uow.remember(ACTIVE_FOR_CHILD, kid, booking)
                uow.remember(WAITLIST_ENTRY, kid, entry)
                if code is not None and not rows[0].code_taken:
                    uow.remember(BY_CODE, {"tid": tid, "code": code}, [])

    uow.prefetch(queries, remember)
