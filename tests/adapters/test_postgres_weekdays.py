"""Migration 0007 renumbers stored schedules from Sunday = 0 to ``date.weekday()``'s
Monday = 0, and back on downgrade; every tenant's rows move although RLS is forced."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from travelcore.catalog import CreateSchedule
from travelcore.kernel import ManualClock, TenantId, new_uuid
from travelcore.testing.actors import admin
from travelcore.testing.builders import a_venue, an_activity
from travelcore_adapters import bootstrap
from travelcore_adapters.postgres import downgrade, provision_database, upgrade
from travelcore_adapters.postgres.provision import admin_connection


def test_stored_days_of_week_follow_python_s_numbering(postgres_superuser_url: str) -> None:
    db = provision_database(postgres_superuser_url)
    owner = db.owner_url.render_as_string(hide_password=False)
    with bootstrap.postgres(db.app_url, clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC))) as app:
        for days in [(0, 2), (6,)]:  # Monday and Wednesday; Sunday (another tenant)
            tenant = TenantId(new_uuid())
            with app.database(tenant) as uow:
                venue = a_venue(tenant)
                activity = an_activity(tenant, venue)
                uow.venues.add(venue)
                uow.activities.add(activity)
                uow.commit()
            app.catalog.create_schedule(
                CreateSchedule(
                    tenant_id=tenant,
                    activity_id=activity.id,
                    days_of_week=days,
                    start_time=time(16),
                    duration_minutes=60,
                    capacity=5,
                    effective_from=date(2026, 3, 2),
                ),
                actor=admin(tenant),
            )

    def stored() -> list[list[int]]:
        with admin_connection(db.superuser_url, db.name) as conn:
            rows = conn.execute(
                "SELECT days_of_week FROM activity_recurring_schedules"
                " ORDER BY cardinality(days_of_week) DESC"
            ).fetchall()
        return [row[0] for row in rows]

    assert stored() == [[0, 2], [6]]
    downgrade(owner, app_role=db.app_role, revision="0006_checked_writes")
    assert stored() == [[1, 3], [0]]  # Sunday = 0, as before
    upgrade(owner, app_role=db.app_role)
    assert stored() == [[0, 2], [6]]
