"""The venue-score metrics of every venue of a tenant in one set-based statement.

Each venue's week is the Monday of ``now`` in the venue's zone and its window the
``window_weeks`` before it (local midnights), exactly as ``travelcore.discovery.scores``
defines them; bookings of sessions that ended in the window are counted per venue, visible
reviews give the ratings, and children with completed bookings are counted with a grouped
subquery. One round trip whatever the number of venues.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from travelcore.catalog import VenueId
from travelcore.discovery.scores import ScoringPolicy, VenueMetrics
from travelcore.discovery.scoring import SCORED_STATUSES
from travelcore.kernel import TenantId

METRICS_SQL = text(
    """
    WITH w AS (
        SELECT v.id AS venue_id, v.timezone,
               date_trunc('week', :now AT TIME ZONE v.timezone)::date AS week
        FROM venues v
        WHERE v.tenant_id = :tid AND v.status = ANY(:statuses)
    ), windows AS (
        SELECT venue_id, week,
               (week::timestamp AT TIME ZONE timezone) AS window_end,
               ((week - :days)::timestamp AT TIME ZONE timezone) AS window_start
        FROM w
    ), b AS (
        SELECT windows.venue_id, bk.id, bk.child_id, bk.status, r.rating
        FROM windows
        JOIN activity_sessions s
          ON s.tenant_id = :tid AND s.venue_id = windows.venue_id
         AND s.ends_at >= windows.window_start AND s.ends_at < windows.window_end
        JOIN bookings bk ON bk.tenant_id = :tid AND bk.session_id = s.id
        LEFT JOIN reviews r ON r.tenant_id = :tid AND r.booking_id = bk.id AND r.is_visible
    ), per_child AS (
        SELECT venue_id, child_id, count(*) AS n
        FROM b WHERE status = 'completed' GROUP BY venue_id, child_id
    ), children AS (
        SELECT venue_id, count(*) AS completed, count(*) FILTER (WHERE n >= 2) AS repeat
        FROM per_child GROUP BY venue_id
    )
    SELECT windows.venue_id, windows.week,
           count(b.id) AS total_bookings,
           count(b.id) FILTER (WHERE b.status = 'cancelled_venue') AS venue_cancelled,
           count(b.id) FILTER (WHERE b.status = 'completed') AS completed,
           count(b.id) FILTER (WHERE b.status = 'no_show') AS no_shows,
           count(b.rating) AS review_count,
           coalesce(sum(b.rating), 0) AS rating_sum,
           coalesce(max(children.completed), 0) AS children_completed,
           coalesce(max(children.repeat), 0) AS children_repeat
    FROM windows
    LEFT JOIN b ON b.venue_id = windows.venue_id
    LEFT JOIN children ON children.venue_id = windows.venue_id
    GROUP BY windows.venue_id, windows.week
    """
)


class PostgresVenueMetrics:
    """``VenueMetricsReader`` in one statement (``uow_factory`` gives PostgreSQL units of
    work)."""

    def __init__(self, uow_factory: Callable[[TenantId], Any]) -> None:
        self._uow_factory = uow_factory

    def metrics(
        self, tenant_id: TenantId, now: datetime, policy: ScoringPolicy
    ) -> dict[VenueId, tuple[date, VenueMetrics]]:
        params = {
            "tid": tenant_id,
            "now": now,
            "days": 7 * policy.window_weeks,
            "statuses": [str(s) for s in SCORED_STATUSES],
        }
        with self._uow_factory(tenant_id) as uow:
            rows = uow.execute(METRICS_SQL, params).all()
        return {
            VenueId(row.venue_id): (
                row.week,
                VenueMetrics(
                    total_bookings=row.total_bookings,
                    venue_cancelled=row.venue_cancelled,
                    completed=row.completed,
                    no_shows=row.no_shows,
                    review_count=row.review_count,
                    rating_sum=int(row.rating_sum),
                    children_completed=row.children_completed,
                    children_repeat=row.children_repeat,
                ),
            )
            for row in rows
        }
