"""The procrastinate wiring on the embedded PostgreSQL: a periodic task per job on the
job's schedule, and a worker that runs a deferred job's task with the job's effect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import procrastinate
import pytest
from examples.ops.schedule import TASK_PREFIX, queue

from tests.ops.conftest import world_at
from travelcore.kernel import new_uuid
from travelcore.ledger import PlaceHold
from travelcore.testing.actors import admin
from travelcore.travel import RegisterTenant, TravelService
from travelcore_adapters import bootstrap
from travelcore_adapters.jobs import JOBS
from travelcore_adapters.postgres import PostgresDatabase, ProvisionedDatabase


def conninfo(url: object) -> str:
    from sqlalchemy import make_url

    return make_url(str(url)).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def tasks(ops_database: ProvisionedDatabase) -> Iterator[procrastinate.App]:
    """The queue on this module's database, its tables created by the owner."""
    with bootstrap.postgres(ops_database.app_url, pool_size=2) as app:
        owner = procrastinate.PsycopgConnector(conninfo=conninfo(ops_database.owner_url))
        tasks = queue(app, owner)
        with tasks.open():
            tasks.schema_manager.apply_schema()
        yield tasks


def test_every_job_is_a_periodic_task_on_its_schedule(tasks: procrastinate.App) -> None:
    periodic = {p.task.name: p.cron for p in tasks.periodic_registry.periodic_tasks.values()}
    assert periodic == {TASK_PREFIX + job.name: job.schedule for job in JOBS}


def test_a_worker_runs_the_job(tasks: procrastinate.App, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(hours=25))
    TravelService(database, world.clock).register_tenant(
        RegisterTenant(tenant_id=world.tenant, name="Acme", idempotency_key="tenant"),
        actor=admin(world.tenant),
    )  # the task runs the job for every registered tenant
    parent, _ = world.family()
    world.ledger.place_hold(
        PlaceHold(
            tenant_id=world.tenant,
            balance_id=world.balance(parent).balance_id,
            booking_id=new_uuid(),
            credits=5,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    with tasks.open():
        tasks.tasks[TASK_PREFIX + "hold-expiry"].defer(timestamp=0)
    tasks.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    assert world.balance(parent).held == 0
