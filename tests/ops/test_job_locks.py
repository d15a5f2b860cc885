"""The runner's lock per job and tenant. The negative control: a job that reads, then
writes (a naive monthly newsletter), run by two threads at once, sends twice without the
lock and once with it, on PostgreSQL (advisory locks) and on memory. And the lock holds
across processes: while one holds a job's lock for a tenant, the command line skips it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta
from typing import Any

import pytest

from tests.ops.conftest import Ops, world_at
from travelcore.kernel import Actor, ManualClock, SystemClock, TenantId, UserId, new_uuid
from travelcore.notifications import Announce, Channel, NotificationType
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters import bootstrap
from travelcore_adapters.jobs import Counts, Job, JobRunner, TenantRun
from travelcore_adapters.postgres import ProvisionedDatabase


class Newsletter:
    """Sends a parent this month's newsletter unless they have it: it reads, waits for a
    second copy to have read too (or 3 seconds), then writes with a fresh key."""

    def __init__(self, parent: UserId) -> None:
        self.parent = parent
        self.barrier = threading.Barrier(2, timeout=3)
        self.inside = threading.Event()

    def __call__(self, app: bootstrap.App, actor: Actor) -> Counts:
        self.inside.set()
        has_it = bool(newsletters(app, actor.tenant_id, self.parent))
        with suppress(threading.BrokenBarrierError):  # alone: the other copy was refused
            self.barrier.wait()
        if has_it:
            return {"sent": 0}
        app.notifications.announce(
            Announce(
                tenant_id=actor.tenant_id,
                user_ids=(self.parent,),
                subject="December",
                message="What's on this month.",
                idempotency_key=new_uuid().hex,
            ),
            actor=admin(actor.tenant_id),  # the job's own way of sending, not a system rule
        )
        return {"sent": 1}


def newsletters(app: bootstrap.App, tenant: TenantId, parent: UserId) -> list[Any]:
    return [
        n
        for n in app.notifications.history(tenant, parent, actor=admin(tenant))
        if n.type is NotificationType.SYSTEM_ANNOUNCEMENT and n.channel is Channel.IN_APP
    ]


@pytest.fixture(params=["memory", "postgres"])
def app(request: pytest.FixtureRequest) -> Iterator[bootstrap.App]:
    if request.param == "memory":
        with bootstrap.memory() as app:
            yield app
        return
    database: ProvisionedDatabase = request.getfixturevalue("ops_database")
    with bootstrap.postgres(database.app_url, pool_size=6) as app:
        yield app


def two_copies(app: bootstrap.App, *, locking: bool) -> tuple[list[TenantRun], int]:
    """Two runs of the newsletter at once; their runs and how many the parent got."""
    world = World(app.database, ManualClock(SystemClock().now()))
    parent, _ = world.family(credits=0)
    newsletter = Newsletter(parent)
    runner = JobRunner(
        app,
        [Job(name="newsletter", schedule="0 0 1 * *", summary="", for_tenant=newsletter)],
        locking=locking,
    )

    def run() -> TenantRun:
        [one] = runner.run("newsletter", [world.tenant]).runs
        return one

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run)
        assert newsletter.inside.wait(10)  # the first copy holds the lock (if any) by now
        second = pool.submit(run)
        runs = [first.result(), second.result()]
    return runs, len(newsletters(app, world.tenant, parent))


def test_without_the_lock_two_copies_newsletter_twice(app: bootstrap.App) -> None:
    runs, got = two_copies(app, locking=False)
    assert [(r.counts, r.error) for r in runs] == [({"sent": 1}, None)] * 2
    assert got == 2  # the double effect the lock is there to prevent


def test_with_the_lock_the_second_copy_skips_the_tenant(app: bootstrap.App) -> None:
    runs, got = two_copies(app, locking=True)
    assert runs[0].counts == {"sent": 1}
    assert (runs[1].locked, runs[1].counts) == (True, {})
    assert got == 1


def test_the_lock_is_per_tenant(app: bootstrap.App) -> None:
    clock = ManualClock(SystemClock().now())
    worlds = [World(app.database, clock) for _ in range(2)]
    gate = threading.Event()
    seen: list[Any] = []

    def held(app: bootstrap.App, actor: Actor) -> Counts:
        seen.append(actor)
        if actor.tenant_id == worlds[0].tenant:
            assert gate.wait(10)
        return {"ran": 1}

    runner = JobRunner(app, [Job(name="slow", schedule="* * * * *", summary="", for_tenant=held)])
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(runner.run, "slow", [worlds[0].tenant])
        while not seen:
            threading.Event().wait(0.01)
        other = runner.run("slow", [worlds[1].tenant])  # another tenant: not held up
        gate.set()
        assert first.result().runs[0].counts == {"ran": 1}
    assert other.runs[0].counts == {"ran": 1}
    assert [a.label for a in seen] == ["system:slow", "system:slow"]


def test_a_copy_in_another_process_skips_the_locked_tenant(
    ops: Ops, ops_database: ProvisionedDatabase
) -> None:
    gate, inside = threading.Event(), threading.Event()

    def holding(app: bootstrap.App, actor: Actor) -> Counts:
        inside.set()
        assert gate.wait(60)
        return {}

    with bootstrap.postgres(ops_database.app_url, pool_size=2) as app:
        world = world_at(app.database, timedelta(0))  # type: ignore[arg-type]
        job = Job(name="hold-expiry", schedule="* * * * *", summary="", for_tenant=holding)
        with ThreadPoolExecutor(1) as pool:
            holder = pool.submit(JobRunner(app, [job]).run, "hold-expiry", [world.tenant])
            assert inside.wait(10)
            process = ops.start("hold-expiry", "--tenant", str(world.tenant))
            out, err = process.communicate(timeout=120)
            gate.set()
            holder.result()
    assert process.returncode == 0, err
    assert out.strip() == f"{world.tenant}: locked (another copy is running it)"
    code, out, _ = ops("hold-expiry", "--tenant", str(world.tenant))  # released
    assert (code, out.strip()) == (0, f"{world.tenant}: expired=0")


def test_a_failing_tenant_does_not_stop_the_others(app: bootstrap.App) -> None:
    clock = ManualClock(SystemClock().now())
    good, bad = World(app.database, clock), World(app.database, clock)

    def picky(app: bootstrap.App, actor: Actor) -> Counts:
        if actor.tenant_id == bad.tenant:
            raise RuntimeError("no such thing")
        return {"ok": 1}

    runner = JobRunner(app, [Job(name="picky", schedule="* * * * *", summary="", for_tenant=picky)])
    report = runner.run("picky", [bad.tenant, good.tenant])
    assert not report.ok
    assert [r.error for r in report.runs] == ["RuntimeError: no such thing", None]
    assert report.total() == {"ok": 1}
