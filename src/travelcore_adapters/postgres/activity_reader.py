"""Search enrichment in one statement: the views of all candidates at once.

``PostgresActivityReader`` is the ``ActivityReader`` of ``travelcore.discovery.search`` on
PostgreSQL. Where ``CatalogActivityReader`` reads each candidate's activity, venue and
sessions through the repositories (three queries per candidate), this joins the
candidates' published, active activities to their bookable venues and, laterally, to
their next open sessions that fit the intent's days and times, and sends that one prebuilt
statement with the start of the transaction: one round trip for any number of candidates.
Both readers give the same views (``travelcore.testing.ActivityReaderContract``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    bindparam,
    cast,
    extract,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from travelcore.catalog import TimeOfDay, VenueStatus
from travelcore.catalog.model import MIN_INSURANCE_COVERAGE
from travelcore.discovery.intent import DAYS, SearchIntent
from travelcore.discovery.search import ActivityView, SessionSlot
from travelcore.kernel import TenantId
from travelcore_adapters.postgres.statements import Statement
from travelcore_adapters.postgres.tables.catalog import activities as a
from travelcore_adapters.postgres.tables.catalog import activity_sessions as s
from travelcore_adapters.postgres.tables.catalog import venues as v

_free = s.c.total_capacity - s.c.booked_count - s.c.offered_count
_days = bindparam("days", type_=ARRAY(Integer))
_times = bindparam("times", type_=ARRAY(String))
_open = (
    select(
        s.c.id.label("session_id"),
        s.c.session_date,
        s.c.starts_at,
        _free.label("free_seats"),
        s.c.time_of_day,
    )
    .where(
        s.c.tenant_id == a.c.tenant_id,
        s.c.activity_id == a.c.id,
        s.c.session_date >= bindparam("first_day", type_=Date),
        s.c.session_date <= bindparam("last_day", type_=Date),
        s.c.starts_at > bindparam("after", type_=DateTime(timezone=True)),
        ~s.c.is_cancelled,
        ~s.c.is_completed,
        _free > 0,
        or_(
            func.cardinality(_days) == 0,
            cast(extract("isodow", s.c.session_date), Integer) == func.any(_days),
        ),
        or_(func.cardinality(_times) == 0, s.c.time_of_day == func.any(_times)),
    )
    .order_by(s.c.starts_at, s.c.id)
    .limit(bindparam("shown", type_=Integer))
    .lateral("open")
)
VIEWS = Statement(
    select(
        a.c.id,
        a.c.name,
        a.c.category,
        a.c.tags,
        a.c.credits_required,
        a.c.min_age,
        a.c.max_age,
        v.c.id.label("venue_id"),
        v.c.name.label("venue_name"),
        _open,
    )
    .join(v, (v.c.tenant_id == a.c.tenant_id) & (v.c.id == a.c.venue_id))
    .join(_open, true())
    .where(
        a.c.tenant_id == bindparam("tid"),
        a.c.id == func.any(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True)))),
        a.c.is_published,
        a.c.is_active,
        v.c.status == VenueStatus.ACTIVE.value,
        v.c.insurance_coverage_amount >= MIN_INSURANCE_COVERAGE,
        v.c.insurance_expiry_date >= bindparam("first_day", type_=Date),
    )
    .order_by(a.c.id, _open.c.starts_at, _open.c.session_id)
)
"""Each kept activity's next open sessions, one row per session, in start order."""


class PostgresActivityReader:
    """``ActivityReader`` in one statement (``uow_factory`` gives PostgreSQL units of work,
    e.g. a ``PostgresDatabase``); ``horizon`` and ``sessions_shown`` as in
    ``CatalogActivityReader``."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], Any],
        *,
        horizon: timedelta = timedelta(days=30),
        sessions_shown: int = 3,
    ) -> None:
        self._uow_factory = uow_factory
        self._horizon = horizon
        self._shown = sessions_shown

    def views(
        self,
        tenant_id: TenantId,
        activity_ids: Sequence[str],
        *,
        after: datetime,
        intent: SearchIntent,
    ) -> dict[str, ActivityView]:
        asked: dict[UUID, list[str]] = {}
        for raw in activity_ids:
            try:
                asked.setdefault(UUID(raw), []).append(raw)
            except ValueError:
                continue
        if not asked:
            return {}
        params = {
            "tid": tenant_id,
            "ids": list(asked),
            "first_day": after.date(),
            "last_day": (after + self._horizon).date(),
            "after": after,
            "days": sorted(DAYS.index(d) + 1 for d in intent.days),
            "times": sorted(str(t) for t in intent.times_of_day),
            "shown": self._shown,
        }
        with self._uow_factory(tenant_id) as uow:
            rows = uow.scope.rows(VIEWS, params)
        slots: dict[UUID, list[SessionSlot]] = {}
        first: dict[UUID, Any] = {}
        for row in rows:
            first.setdefault(row.id, row)
            slots.setdefault(row.id, []).append(
                SessionSlot(
                    session_id=row.session_id,
                    session_date=row.session_date,
                    starts_at=row.starts_at,
                    free_seats=row.free_seats,
                    time_of_day=TimeOfDay(row.time_of_day),
                )
            )
        out: dict[str, ActivityView] = {}
        for raw in activity_ids:
            try:
                key = UUID(raw)
            except ValueError:
                continue
            row = first.get(key)
            if row is None or raw in out:
                continue
            out[raw] = ActivityView(
                activity_id=raw,
                name=row.name,
                category=row.category,
                tags=frozenset(row.tags),
                credits=row.credits_required,
                min_age=row.min_age,
                max_age=row.max_age,
                venue_id=str(row.venue_id),
                venue_name=row.venue_name,
                next_sessions=tuple(slots[key]),
            )
        return out
