"""Every periodic job of travelcore, its schedule, and a runner that makes each one safe to
run in several processes at once.

A job runs once per tenant, as ``Actor.system(tenant_id, job.name)``, or once for the whole
database (the outbox relay and its purge, which the relay's claim already spreads over
processes with ``FOR UPDATE SKIP LOCKED``). :class:`JobRunner` takes, for each tenant, a lock
named after the job and the tenant before it runs the job: on PostgreSQL a transaction-level
advisory lock (``pg_try_advisory_xact_lock``) on a connection of its own, held while the job
runs and released when that transaction ends or its connection dies; on memory a lock of the
process. A copy that finds the lock taken skips the tenant (``locked``) instead of waiting:
another copy is doing that work. Under the lock, each job is also idempotent per item (one
expiry entry per period, one score per venue-week, one suggestion set per parent-month, a
notification claimed once), so a run repeated after a crash applies nothing twice.
See ``docs/jobs.md``.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from travelcore.discovery.scoring import RepositoryMetricsReader, VenueMetricsReader, VenueScoring
from travelcore.discovery.suggestions import Curation
from travelcore.kernel import Actor, TenantId, ValidationFailed
from travelcore.payments import ReconcilePayments
from travelcore.retention import RetentionJob
from travelcore.travel import SendDueReminders
from travelcore_adapters.bootstrap import App
from travelcore_adapters.memory import MemoryDatabase

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "JOBS",
    "OUTBOX_RETENTION",
    "Counts",
    "Job",
    "JobReport",
    "JobRunner",
    "TenantRun",
    "curation_job",
    "job_named",
    "tenant_ids",
]

Counts = Mapping[str, int]
"""What one run did, by kind (``{"expired": 3}``)."""

OUTBOX_RETENTION = timedelta(days=7)
"""How long delivered outbox messages (and their inbox entries) are kept."""

BATCH = 500


@attrs.frozen(kw_only=True)
class Job:
    """A named job with its cron schedule (UTC). Exactly one of ``for_tenant`` (run once per
    tenant, given the system actor) and ``for_database`` (run once) is set. ``exclusive``:
    one copy at a time per tenant (the runner's lock); the relay is not, its claims already
    share the work out."""

    name: str
    schedule: str
    summary: str
    for_tenant: Callable[[App, Actor], Counts] | None = None
    for_database: Callable[[App], Counts] | None = None
    exclusive: bool = True

    def __attrs_post_init__(self) -> None:
        if (self.for_tenant is None) == (self.for_database is None):
            raise ValidationFailed("for_tenant", "exactly_one_of_for_tenant_and_for_database")


@attrs.frozen(kw_only=True)
class TenantRun:
    """One tenant's run (``tenant_id`` ``None`` for a whole-database job): its counts, or
    ``locked`` (another process holds the job's lock), or the ``error`` it stopped with."""

    tenant_id: TenantId | None
    counts: Counts = attrs.field(factory=dict)
    locked: bool = False
    error: str | None = None


@attrs.frozen(kw_only=True)
class JobReport:
    job: str
    runs: tuple[TenantRun, ...]

    @property
    def ok(self) -> bool:
        return all(run.error is None for run in self.runs)

    def total(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for run in self.runs:
            for kind, n in run.counts.items():
                totals[kind] = totals.get(kind, 0) + n
        return totals


# -- the jobs --------------------------------------------------------------------------------


def _waitlist_offers(app: App, actor: Actor) -> Counts:
    return {"expired": app.waitlist.expire_offers(actor.tenant_id, actor=actor)}


def _hold_expiry(app: App, actor: Actor) -> Counts:
    return {"expired": app.ledger.expire_holds(actor.tenant_id, actor=actor)}


def _credit_expiry(app: App, actor: Actor) -> Counts:
    return {"closed": app.ledger.close_periods(actor.tenant_id, actor=actor)}


def _credit_warnings(app: App, actor: Actor) -> Counts:
    return {"warned": app.ledger.send_expiry_warnings(actor.tenant_id, actor=actor)}


def _trip_reminders(app: App, actor: Actor) -> Counts:
    now = app.clock.now()
    sent = app.travel.send_due_reminders(
        SendDueReminders(
            tenant_id=actor.tenant_id, idempotency_key=f"{actor.label}:{now.isoformat()}"
        ),
        actor=actor,
    )
    return {"sent": len(sent.reminder_ids)}


def _notifications(app: App, actor: Actor) -> Counts:
    """Batches until one comes back short: every notification due now goes out."""
    totals = {"sent": 0, "failed": 0, "parked": 0, "postponed": 0}
    while True:
        report = app.notifications.deliver_due(actor.tenant_id, limit=BATCH, actor=actor)
        counts = {
            "sent": report.sent,
            "failed": report.failed,
            "parked": report.parked,
            "postponed": report.postponed,
        }
        for name, count in counts.items():
            totals[name] += count
        if sum(counts.values()) < BATCH:
            return totals


def _idempotency_purge(app: App, actor: Actor) -> Counts:
    return {"purged": app.ledger.purge_idempotency_keys(actor.tenant_id, actor=actor)}


def _venue_scores(app: App, actor: Actor) -> Counts:
    report = _scoring(app).run(actor.tenant_id, actor=actor)
    return {"written": report.written, "venues": len(report.scores)}


def curation_job(month: date | None = None) -> Job:
    """The monthly curation for ``month`` (its first day; the current month when ``None``),
    for every active parent, 500 parents a batch."""

    def run(app: App, actor: Actor) -> Counts:
        tenant = actor.tenant_id
        with app.database(tenant) as uow:
            parents = uow.users.active_parents()
        curation = Curation(
            app.database,
            store=app.vector_store,
            embedder=app.embedder,
            bookings=app.booking,
            scoring=_scoring(app),
            clock=app.clock,
            policy=app.policies.policy_for(tenant),
        )
        first = (month or app.clock.now().date()).replace(day=1)
        counts = {"parents": 0, "suggestions": 0, "skipped": 0}
        for start in range(0, len(parents), BATCH):
            report = curation.generate(tenant, first, parents[start : start + BATCH], actor=actor)
            counts["parents"] += len(report.generated)
            counts["suggestions"] += sum(len(s) for s in report.generated.values())
            counts["skipped"] += len(report.skipped)
        return counts

    return Job(
        name="curation",
        schedule="0 4 1 * *",
        summary="This month's activity suggestions for every active parent, once per month.",
        for_tenant=run,
    )


def _reconcile(app: App, actor: Actor) -> Counts:
    report = app.payments.reconcile(ReconcilePayments(tenant_id=actor.tenant_id), actor=actor)
    return {
        "succeeded": len(report.succeeded),
        "failed": len(report.failed),
        "unknown": len(report.unknown),
        "refunded": len(report.refunded),
    }


def _billing_overdue(app: App, actor: Actor) -> Counts:
    return {"overdue": app.billing.mark_overdue(actor.tenant_id, actor=actor)}


def _relay(app: App) -> Counts:
    report = app.relay.drain()
    return {
        "delivered": report.delivered,
        "retried": report.retried,
        "parked": report.parked,
        "skipped": report.skipped,
    }


def _outbox_purge(app: App) -> Counts:
    return {"purged": app.outbox.purge(app.clock.now() - OUTBOX_RETENTION)}


def _retention(app: App, actor: Actor) -> Counts:
    """Every retention rule (DOMAIN.md section 9), a child's erasure included."""
    job = RetentionJob(
        app.database,
        app.clock,
        policies=app.policies,
        stores=(app.vector_store,),
        outbox=app.outbox,
    )
    return job.run(actor=actor)


def _scoring(app: App) -> VenueScoring:
    reader: VenueMetricsReader
    if isinstance(app.database, MemoryDatabase):
        reader = RepositoryMetricsReader(app.database)
    else:
        from travelcore_adapters.postgres.venue_metrics import PostgresVenueMetrics

        reader = PostgresVenueMetrics(app.database)
    return VenueScoring(app.database, reader, app.clock)


JOBS: tuple[Job, ...] = (
    Job(
        name="waitlist-offers",
        schedule="*/5 * * * *",
        summary="Expire lapsed waitlist offers and offer each seat to the next in line.",
        for_tenant=_waitlist_offers,
    ),
    Job(
        name="hold-expiry",
        schedule="*/15 * * * *",
        summary="Release credit holds whose time is up.",
        for_tenant=_hold_expiry,
    ),
    Job(
        name="credit-expiry",
        schedule="15 0 * * *",
        summary="Expire the unused credits of every ended period, once.",
        for_tenant=_credit_expiry,
    ),
    Job(
        name="credit-warnings",
        schedule="0 8 * * *",
        summary="Warn parents whose credits expire within the warning lead, once each.",
        for_tenant=_credit_warnings,
    ),
    Job(
        name="trip-reminders",
        schedule="*/5 * * * *",
        summary="Send the trip reminders that are due.",
        for_tenant=_trip_reminders,
    ),
    Job(
        name="notifications",
        schedule="* * * * *",
        summary="Deliver the notifications due now (session reminders, feedback requests...).",
        for_tenant=_notifications,
    ),
    Job(
        name="idempotency-purge",
        schedule="0 * * * *",
        summary="Forget idempotency records older than the retention policy.",
        for_tenant=_idempotency_purge,
    ),
    Job(
        name="venue-scores",
        schedule="0 2 * * 1",
        summary="Score every venue for this week (one row per venue-week).",
        for_tenant=_venue_scores,
    ),
    curation_job(),
    Job(
        name="payment-reconcile",
        schedule="*/10 * * * *",
        summary="Settle payments stuck in 'initiated' from what the provider says.",
        for_tenant=_reconcile,
    ),
    Job(
        name="billing-overdue",
        schedule="0 1 * * *",
        summary="Mark sent invoices past their due date overdue.",
        for_tenant=_billing_overdue,
    ),
    Job(
        name="outbox-relay",
        schedule="* * * * *",
        summary="Deliver committed events to their consumers (or run it as a worker).",
        for_database=_relay,
        exclusive=False,
    ),
    Job(
        name="retention",
        schedule="45 3 * * *",
        summary="Purge what every retention rule says is due and erase children 30 days on.",
        for_tenant=_retention,
    ),
    Job(
        name="outbox-purge",
        schedule="30 3 * * *",
        summary="Delete delivered outbox messages older than the retention period.",
        for_database=_outbox_purge,
    ),
)


def job_named(name: str, jobs: Iterable[Job] = JOBS) -> Job:
    """The job called ``name`` (``ValidationFailed`` naming the known ones otherwise)."""
    found = {job.name: job for job in jobs}
    if name not in found:
        raise ValidationFailed("job", "known_job", f"known jobs: {', '.join(sorted(found))}")
    return found[name]


# -- tenants and locks -----------------------------------------------------------------------


def tenant_ids(app: App) -> list[TenantId]:
    """Every registered tenant (``TravelService.register_tenant``), in id order. On
    PostgreSQL through the ``tenant_directory`` policy (migration 0014), which lets a
    transaction that acts for no tenant read the ``tenants`` table and nothing else."""
    if isinstance(app.database, MemoryDatabase):
        store = app.database.store
        with store.lock:
            rows = list(store.tables["travel/tenants"].values())
        return sorted((TenantId(row.id) for row in rows), key=str)
    from sqlalchemy import text

    with app.database.engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_directory', 'on', true)"))
        found = conn.execute(text("SELECT tenant_id FROM tenants ORDER BY tenant_id")).all()
    return [TenantId(row.tenant_id) for row in found]


_memory_locks: weakref.WeakKeyDictionary[MemoryDatabase, dict[str, threading.Lock]] = (
    weakref.WeakKeyDictionary()
)
_memory_guard = threading.Lock()


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _postgres_lock(engine: Engine, name: str) -> Iterator[bool]:
    from sqlalchemy import bindparam, func, select

    with engine.connect() as conn:
        query = select(func.pg_try_advisory_xact_lock(bindparam("key")))
        taken = bool(conn.execute(query, {"key": _lock_key(name)}).scalar())
        try:
            yield taken
        finally:
            conn.rollback()  # ends the transaction, releasing the lock


@contextmanager
def _memory_lock(database: MemoryDatabase, name: str) -> Iterator[bool]:
    with _memory_guard:
        lock = _memory_locks.setdefault(database, {}).setdefault(name, threading.Lock())
    taken = lock.acquire(blocking=False)
    try:
        yield taken
    finally:
        if taken:
            lock.release()


@contextmanager
def _job_lock(app: App, name: str) -> Iterator[bool]:
    if isinstance(app.database, MemoryDatabase):
        with _memory_lock(app.database, name) as taken:
            yield taken
    else:
        with _postgres_lock(app.database.engine, name) as taken:
            yield taken


class JobRunner:
    """Runs the jobs of ``jobs`` on ``app``. ``locking=False`` leaves out the per-tenant lock
    (only for a job that is safe without it, or to show what the lock prevents)."""

    def __init__(self, app: App, jobs: Iterable[Job] = JOBS, *, locking: bool = True) -> None:
        self._app = app
        self._jobs = tuple(jobs)
        self._locking = locking

    @property
    def jobs(self) -> tuple[Job, ...]:
        return self._jobs

    def run(
        self,
        name: str,
        tenants: Sequence[TenantId] | None = None,
        *,
        on_run: Callable[[TenantRun], Any] | None = None,
    ) -> JobReport:
        """Run the job ``name`` for ``tenants`` (every registered tenant when ``None``; a
        whole-database job ignores them), calling ``on_run`` after each tenant. An error
        stops that tenant's run, not the others'; the report holds it."""
        job = job_named(name, self._jobs)
        runs: list[TenantRun] = []
        targets: Sequence[TenantId | None]
        if job.for_database is not None:
            targets = [None]
        else:
            targets = tenant_ids(self._app) if tenants is None else tenants
        for tenant in targets:
            run = self._run_one(job, tenant)
            runs.append(run)
            if on_run is not None:
                on_run(run)
        return JobReport(job=job.name, runs=tuple(runs))

    def _run_one(self, job: Job, tenant: TenantId | None) -> TenantRun:
        with self._lock(job, tenant) as taken:
            if not taken:
                return TenantRun(tenant_id=tenant, locked=True)
            try:
                if tenant is None:
                    assert job.for_database is not None
                    counts = job.for_database(self._app)
                else:
                    assert job.for_tenant is not None
                    counts = job.for_tenant(self._app, Actor.system(tenant, job.name))
            except Exception as exc:  # reported per tenant; the other tenants still run
                return TenantRun(tenant_id=tenant, error=f"{type(exc).__name__}: {exc}")
            return TenantRun(tenant_id=tenant, counts=dict(counts))

    @contextmanager
    def _lock(self, job: Job, tenant: TenantId | None) -> Iterator[bool]:
        if not (self._locking and job.exclusive):
            yield True
            return
        with _job_lock(self._app, f"travelcore:{job.name}:{tenant or '*'}") as taken:
            yield taken
