"""The jobs on procrastinate, a task queue kept in PostgreSQL: one periodic task per job,
deferred on the job's cron schedule by any running worker (each tick once, however many
workers run), executed by whichever worker takes it.

Why procrastinate: the jobs already need PostgreSQL and nothing else, and so does it (no
broker to run); it defers periodic tasks itself, exactly once per tick across workers, so
no separate cron host is needed; a failed run is a row to look at and retry; it is well
kept and typed. Each task still goes through ``JobRunner``, whose lock per job and tenant
keeps a task that outlives its next tick from running beside it.

Create the queue's tables once, as their owner
(``queue(app, connector).schema_manager.apply_schema()``), then run workers, each given the
queue's URL and the application role's::

    python -m examples.ops.schedule QUEUE_URL APP_URL
"""

from __future__ import annotations

import sys

import procrastinate

from travelcore_adapters import bootstrap
from travelcore_adapters.jobs import JOBS, Job, JobRunner

TASK_PREFIX = "travelcore."


class JobFailed(RuntimeError):
    """A job failed for at least one tenant (the queue records it and retries the task)."""


def queue(app: bootstrap.App, connector: procrastinate.BaseConnector) -> procrastinate.App:
    """A procrastinate app with a periodic task per job of ``travelcore_adapters.jobs``,
    each running the job on ``app`` for every tenant."""
    tasks = procrastinate.App(connector=connector)
    for job in JOBS:
        _register(tasks, app, job)
    return tasks


def _register(tasks: procrastinate.App, app: bootstrap.App, job: Job) -> None:
    def run(timestamp: int) -> dict[str, int]:
        report = JobRunner(app).run(job.name)
        if not report.ok:
            failed = [f"{r.tenant_id}: {r.error}" for r in report.runs if r.error]
            raise JobFailed(f"{job.name}: " + "; ".join(failed))
        return report.total()

    task = tasks.task(
        name=TASK_PREFIX + job.name,
        queueing_lock=job.name,  # at most one waiting run per job
        retry=procrastinate.RetryStrategy(max_attempts=3, wait=30),
    )(run)
    tasks.periodic(cron=job.schedule, periodic_id=job.name)(task)


def main(queue_url: str, app_url: str) -> None:
    with bootstrap.postgres(app_url) as app:
        queue(app, procrastinate.PsycopgConnector(conninfo=queue_url)).run_worker()


if __name__ == "__main__":
    main(*sys.argv[1:3])
