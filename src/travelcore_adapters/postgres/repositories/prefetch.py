"""Read-ahead for the booking rules: what booking a child reads, in the round trip of the
use case's first query.

Each read-ahead query is the one a repository's finder sends, or one that reaches the
same rows through the session or the parent (the activity, the venue, the balance's
entries and holds). Its rows are remembered under the query the finder sends, which the
read-ahead asks the repository for (``get_query``, ``active_for_child_query``, ...), so a
finder that changes its statement changes what is remembered with it. Joined rows are cut
into each table's row by column label, not by position.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import attrs
from sqlalchemy import Table, and_, bindparam, exists, or_, select

from travelcore.booking import ACTIVE_STATUSES
from travelcore.catalog import SessionId
from travelcore.kernel import UserId
from travelcore.ledger import BalanceId
from travelcore.people import ChildId
from travelcore_adapters.postgres.repositories import ledger
from travelcore_adapters.postgres.repositories.booking import (
    PostgresBookingRepository,
    PostgresWaitlistRepository,
)
from travelcore_adapters.postgres.repositories.catalog import (
    PostgresActivityRepository,
    PostgresSessionRepository,
    PostgresVenueRepository,
)
from travelcore_adapters.postgres.repositories.ledger import PostgresLedgerRepository
from travelcore_adapters.postgres.repositories.people import PostgresChildRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope, Query
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.booking import bookings, waitlist
from travelcore_adapters.postgres.tables.catalog import activities, activity_sessions, venues
from travelcore_adapters.postgres.tables.ledger import credit_balances, credit_holds, credit_ledger
from travelcore_adapters.postgres.tables.people import children


class BookingRepositories(Protocol):
    """The unit of work's repositories the booking rules read."""

    sessions: PostgresSessionRepository
    activities: PostgresActivityRepository
    venues: PostgresVenueRepository
    waitlist: PostgresWaitlistRepository
    credits: PostgresLedgerRepository
    children: PostgresChildRepository
    bookings: PostgresBookingRepository


Rows = list[Any]
Answers = Callable[[Rows], Iterable[tuple[Query, Rows]]]


@attrs.frozen
class Ahead:
    """A query to read ahead and what its rows answer: (finder query, rows) pairs."""

    query: Query
    answers: Answers


def _joined(*tables: Table) -> list[Any]:
    """The columns of ``tables`` side by side, labelled ``<table>__<column>``."""
    return [c.label(f"{t.name}__{c.name}") for t in tables for c in t.c]


@functools.cache
def _cutter(statement: Statement, table: Table) -> tuple[Any, tuple[int, ...], int]:
    """The row type of ``table``, where its columns are in ``statement``'s rows (by label)
    and where among them its ``id`` is."""
    labels = list(statement.source.selected_columns.keys())  # type: ignore[attr-defined]
    columns = table.c.keys()
    at = tuple(labels.index(f"{table.name}__{name}") for name in columns)
    row_type = namedtuple(f"{table.name}_row", columns)  # type: ignore[misc]
    return row_type, at, columns.index("id")


def _part(statement: Statement, row: Any, table: Table) -> Rows:
    """``table``'s row in a joined row of ``statement`` ([] where an outer join found none)."""
    row_type, at, id_at = _cutter(statement, table)
    values = [row[n] for n in at]
    return [row_type._make(values)] if values[id_at] is not None else []


@functools.cache
def _session_statement(lock: bool) -> Statement:
    """The session with its activity and venue (the session row locked as ``sessions.get``
    locks it)."""
    s, a, v = activity_sessions, activities, venues
    query = (
        select(*_joined(s, a, v))
        .join_from(s, a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.activity_id))
        .join(v, and_(v.c.tenant_id == s.c.tenant_id, v.c.id == s.c.venue_id))
        .where(s.c.tenant_id == bindparam("tid"), s.c.id == bindparam("session_id"))
    )
    return Statement(query.with_for_update(key_share=True, of=s) if lock else query)


_taken = bookings.alias("taken")
CHILD = Statement(
    select(
        *_joined(children, bookings, waitlist),
        exists()
        .where(
            _taken.c.tenant_id == bindparam("tid"),
            _taken.c.confirmation_code == bindparam("code"),
        )
        .label("code_taken"),
    )
    .select_from(
        children.outerjoin(
            bookings,
            and_(
                bookings.c.tenant_id == children.c.tenant_id,
                bookings.c.session_id == bindparam("session_id"),
                bookings.c.child_id == children.c.id,
                or_(*(bookings.c.status == status.value for status in ACTIVE_STATUSES)),
            ),
        ).outerjoin(
            waitlist,
            and_(
                waitlist.c.tenant_id == children.c.tenant_id,
                waitlist.c.session_id == bindparam("session_id"),
                waitlist.c.child_id == children.c.id,
            ),
        )
    )
    .where(children.c.tenant_id == bindparam("tid"), children.c.id == bindparam("child_id"))
)
"""A child with its active booking and its waitlist entry on the session, and whether a
confirmation code is taken."""


def _of_current_balance(table: Table, order: str) -> Statement:
    """The rows of ``table`` that belong to the user's balance for ``day``."""
    current = ledger.CURRENT_QUERY.with_only_columns(credit_balances.c.id).scalar_subquery()
    return Statement(
        select(table)
        .where(table.c.tenant_id == bindparam("tid"), table.c.balance_id == current)
        .order_by(table.c[order])
    )


ENTRIES_OF_CURRENT = _of_current_balance(credit_ledger, "sequence")
HOLDS_OF_CURRENT = _of_current_balance(credit_holds, "position")


def prefetch_booking(
    scope: PostgresScope,
    uow: BookingRepositories,
    session_id: SessionId,
    child_ids: Sequence[ChildId],
    parent_id: UserId,
    day: date,
    codes: Sequence[str],
) -> None:
    tid = scope.tenant_id
    session = {"tid": tid, "session_id": session_id}
    current = {"tid": tid, "user_id": parent_id, "day": day}
    joined = _session_statement(PostgresSessionRepository.lock_on_get)
    balance_of: list[BalanceId] = []

    def session_rows(rows: Rows) -> Iterable[tuple[Query, Rows]]:
        if rows:
            for repo, table in (
                (uow.sessions, activity_sessions),
                (uow.activities, activities),
                (uow.venues, venues),
            ):
                [part] = _part(joined, rows[0], table)
                yield repo.get_query(part.id), [part]

    def itself(query: Query) -> Answers:
        return lambda rows: [(query, rows)]

    def balance_rows(rows: Rows) -> Iterable[tuple[Query, Rows]]:  # (before its children)
        yield uow.credits.find_query(parent_id, day), rows
        if rows:
            balance_of.append(rows[0].id)
            yield uow.credits.get_query(rows[0].id), rows

    def of_balance(query_of: Callable[[BalanceId], Query]) -> Answers:
        def answers(rows: Rows) -> Iterable[tuple[Query, Rows]]:
            return [(query_of(balance_of[0]), rows)] if balance_of else []

        return answers

    def child_rows(child_id: ChildId, code: str | None) -> Answers:
        def answers(rows: Rows) -> Iterable[tuple[Query, Rows]]:
            child = _part(CHILD, rows[0], children) if rows else []
            yield uow.children.get_query(child_id), child
            if child:  # then its booking and waitlist entry on the session are known too
                yield (
                    uow.bookings.active_for_child_query(session_id, child_id),
                    _part(CHILD, rows[0], bookings),
                )
                yield uow.waitlist.find_query(session_id, child_id), _part(CHILD, rows[0], waitlist)
                if code is not None and not rows[0].code_taken:
                    yield uow.bookings.by_code_query(code), []

        return answers

    paired = list(zip(child_ids, [*codes, *[None] * len(child_ids)], strict=False))
    of_session = uow.waitlist.for_session_query(session_id)
    aheads = [
        Ahead((joined, session), session_rows),
        Ahead(of_session, itself(of_session)),
        Ahead((ledger.CURRENT_LOCKED, current), balance_rows),
        Ahead((ENTRIES_OF_CURRENT, current), of_balance(uow.credits.entries_query)),
        Ahead((HOLDS_OF_CURRENT, current), of_balance(uow.credits.holds_query)),
        *(
            Ahead((CHILD, {**session, "child_id": kid, "code": code}), child_rows(kid, code))
            for kid, code in paired
        ),
        *(
            Ahead(uow.bookings.by_code_query(code), itself(uow.bookings.by_code_query(code)))
            for code in codes[len(child_ids) :]
        ),
    ]

    def remember(results: list[Rows]) -> None:
        for ahead, rows in zip(aheads, results, strict=True):
            for (statement, params), answer in ahead.answers(rows):
                scope.remember(statement, params, answer)

    scope.prefetch([ahead.query for ahead in aheads], remember)
