"""``python -m examples.ops``: a thin typer front over ``travelcore_adapters.jobs``.

Every job of the registry is a command of its own (``python -m examples.ops hold-expiry``),
for every registered tenant or those given with ``--tenant``; it prints one line per tenant
on stdout, shows progress on stderr and exits 1 if any tenant's run failed. ``serve`` runs
the HTTP API of ``examples/api`` under uvicorn.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import attrs
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from examples.ops.database import (
    VECTOR_DIMENSION,
    Urls,
    database_urls,
    local_database,
    open_app,
)
from travelcore.kernel import Actor, TenantId, UserId, new_uuid
from travelcore.travel import RegisterTenant
from travelcore_adapters import bootstrap
from travelcore_adapters.jobs import (
    JOBS,
    Job,
    JobReport,
    JobRunner,
    TenantRun,
    curation_job,
    tenant_ids,
)

cli = typer.Typer(
    help="Operate travelcore: migrate, create tenants, run the API and the jobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        envvar="DATABASE_URL",
        help="The application role's URL; without it, the embedded server in --data-dir.",
    ),
]
DataDir = Annotated[
    Path,
    typer.Option(envvar="TRAVELCORE_DATA_DIR", help="Where the embedded server keeps its data."),
]
Operator = Annotated[
    str,
    typer.Option(
        envvar="TRAVELCORE_OPERATOR", help="The operator's user id (a platform admin; a UUID)."
    ),
]
OPERATOR = "00000000-0000-4000-8000-0000000000a1"
Tenants = Annotated[
    list[str] | None,
    typer.Option("--tenant", "-t", help="A tenant id (repeatable); default: every tenant."),
]


@attrs.frozen
class Where:
    database_url: str | None
    data_dir: Path

    @contextmanager
    def urls(self) -> Iterator[Urls]:
        with database_urls(self.database_url, self.data_dir) as urls:
            yield urls

    @contextmanager
    def app(self, *, vectors: bool = False) -> Iterator[bootstrap.App]:
        with self.urls() as urls, open_app(urls, vectors=vectors) as app:
            yield app


@cli.callback()
def main(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = Path(".travelcore"),
) -> None:
    ctx.obj = Where(database_url, data_dir)


@cli.command()
def migrate(
    ctx: typer.Context,
    owner_url: Annotated[
        str | None,
        typer.Option(envvar="DATABASE_OWNER_URL", help="The schema owner's URL."),
    ] = None,
    app_role: Annotated[
        str, typer.Option(envvar="DATABASE_APP_ROLE", help="The role the library connects as.")
    ] = "travelcore_app",
) -> None:
    """Migrate the schema to head as the owner, and create the vector table."""
    from sqlalchemy import create_engine

    from travelcore_adapters.pgvector import create_schema
    from travelcore_adapters.postgres import upgrade

    where: Where = ctx.obj
    with local_database(where.data_dir) if owner_url is None else _given(owner_url) as urls:
        if urls.owner_url is None:
            raise typer.BadParameter("migrating needs the owner's URL", param_hint="--owner-url")
        role = urls.app_role or app_role
        upgrade(urls.owner_url, app_role=role)
        engine = create_engine(urls.owner_url.set(drivername="postgresql+psycopg"))
        try:
            create_schema(engine, VECTOR_DIMENSION, app_role=role)
        finally:
            engine.dispose()
    typer.echo("migrated to head")


@contextmanager
def _given(owner_url: str) -> Iterator[Urls]:
    from sqlalchemy import make_url

    url = make_url(owner_url)
    yield Urls(owner_url=url, app_url=url, app_role=None)


@cli.command("create-tenant")
def create_tenant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    tenant_id: Annotated[
        str | None, typer.Option(help="Its id (a UUID); default: a new one.")
    ] = None,
    operator: Operator = OPERATOR,
) -> None:
    """Register a tenant and print its id (again with the same id: the same tenant), as the
    operator, a platform admin."""
    tenant = TenantId(_uuid(tenant_id) if tenant_id else new_uuid())
    admin = Actor.platform_admin(tenant, UserId(_uuid(operator)))
    with ctx.obj.app() as app:
        app.travel.register_tenant(
            RegisterTenant(tenant_id=tenant, name=name, idempotency_key=f"create-tenant:{tenant}"),
            actor=admin,
        )
    typer.echo(str(tenant))


@cli.command()
def tenants(ctx: typer.Context) -> None:
    """List the registered tenants' ids."""
    with ctx.obj.app() as app:
        for tenant in tenant_ids(app):
            typer.echo(str(tenant))


@cli.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (each with its pool and relay).")
    ] = 1,
    reload: Annotated[
        bool, typer.Option(help="Restart on code changes (development; one worker).")
    ] = False,
    sample_data: Annotated[
        bool, typer.Option(help="Seed a sample tenant first and print its API keys.")
    ] = False,
) -> None:
    """Run the HTTP API (examples/api) under uvicorn until SIGTERM or Ctrl-C.

    The workers share the database, ``TRAVELCORE_SECRET_KEY`` (API key digests, sealed
    secrets) and ``TRAVELCORE_SESSION_SECRET`` (session tokens); each is generated once
    for this run when not set."""
    import uvicorn

    if reload and workers > 1:
        raise typer.BadParameter("--reload runs one worker", param_hint="--workers")
    if "TRAVELCORE_SECRET_KEY" not in os.environ:
        from travelcore_adapters.security import AesGcmSecretBox

        os.environ["TRAVELCORE_SECRET_KEY"] = AesGcmSecretBox.generate_key().hex()
        err.print("TRAVELCORE_SECRET_KEY is not set: API keys and accounts last this run only")
    os.environ.setdefault("TRAVELCORE_SESSION_SECRET", secrets.token_urlsafe(32))
    # uvicorn re-raises the SIGTERM it handled: exit through the context managers, which
    # close the embedded server
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with ctx.obj.urls() as urls:
        os.environ["DATABASE_URL"] = urls.app_url.render_as_string(hide_password=False)
        if sample_data:
            _seed_sample()
        uvicorn.run(
            "examples.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
        )


def _seed_sample() -> None:
    from examples.api.app import default_app
    from examples.api.sample import seed
    from examples.api.services import Services

    with default_app() as app:
        sample = seed(Services.of(app, os.environ["TRAVELCORE_SESSION_SECRET"]))
    typer.echo(sample.describe())


@cli.command()
def jobs() -> None:
    """List the jobs with their schedule (cron, UTC)."""
    for job in JOBS:
        typer.echo(f"{job.name:<18} {job.schedule:<13} {job.summary}")


@cli.command()
def crontab(
    command: Annotated[
        str, typer.Option(help="How cron starts this command line.")
    ] = "python -m examples.ops",
) -> None:
    """Print a crontab with one line per job (the relay as a worker instead, if you prefer)."""
    typer.echo("CRON_TZ=UTC")
    for job in JOBS:
        typer.echo(f"{job.schedule} {command} {job.name}")


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a UUID", param_hint="tenant") from None


# -- one command per job ---------------------------------------------------------------------


def _line(run: TenantRun) -> str:
    who = str(run.tenant_id) if run.tenant_id else "all tenants"
    if run.locked:
        return f"{who}: locked (another copy is running it)"
    if run.error is not None:
        return f"{who}: failed: {run.error}"
    return f"{who}: " + " ".join(f"{kind}={n}" for kind, n in run.counts.items())


def _run(job: Job, where: Where, tenants: list[str] | None) -> JobReport:
    given = None if not tenants else [TenantId(_uuid(t)) for t in tenants]
    with where.app(vectors=job.name == "curation") as app:
        runner = JobRunner(app, [job])
        targets = None if job.for_database else given or tenant_ids(app)
        with Progress(
            TextColumn(f"{job.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task(job.name, total=len(targets) if targets else 1)

            def on_run(run: TenantRun) -> None:
                progress.advance(task)
                (err.print if run.error else typer.echo)(_line(run))

            report = runner.run(job.name, targets, on_run=on_run)
    return report


def _command(job: Job) -> Callable[..., None]:
    def command(ctx: typer.Context, tenant: Tenants = None) -> None:
        report = _run(job, ctx.obj, tenant)
        if not report.ok:
            raise typer.Exit(1)

    command.__doc__ = f"{job.summary} [{job.schedule}]"
    return command


for _job in JOBS:
    if _job.name not in ("outbox-relay", "curation"):
        cli.command(_job.name)(_command(_job))


@cli.command()
def curation(
    ctx: typer.Context,
    tenant: Tenants = None,
    month: Annotated[
        str | None, typer.Option(help="The month (YYYY-MM); default: the current one.")
    ] = None,
) -> None:
    """This month's activity suggestions for every active parent, once per month.
    [0 4 1 * *]"""
    try:
        first = None if month is None else date.fromisoformat(f"{month}-01")
    except ValueError:
        raise typer.BadParameter(f"{month!r} is not YYYY-MM", param_hint="--month") from None
    if not _run(curation_job(first), ctx.obj, tenant).ok:
        raise typer.Exit(1)


@cli.command("outbox-relay")
def outbox_relay(
    ctx: typer.Context,
    loop: Annotated[
        bool, typer.Option(help="Keep delivering, woken by LISTEN/NOTIFY, until stopped.")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls when idle (--loop).")] = 5.0,
    seconds: Annotated[
        float | None, typer.Option("--for", help="Stop the loop after this many seconds.")
    ] = None,
) -> None:
    """Deliver committed events to their consumers: one drain, or a worker (--loop).
    Several may run at once (each claims its batch with FOR UPDATE SKIP LOCKED)."""
    relay = next(job for job in JOBS if job.name == "outbox-relay")
    if not loop:
        if not _run(relay, ctx.obj, None).ok:
            raise typer.Exit(1)
        return
    stop = threading.Event()
    with ctx.obj.app() as app:

        def wake() -> None:
            """Stop, waking the relay from its LISTEN (it checks ``stop`` between rounds)."""
            stop.set()
            threading.Thread(target=_notify, args=(app,), daemon=True).start()

        signal.signal(signal.SIGTERM, lambda signum, frame: wake())
        signal.signal(signal.SIGINT, lambda signum, frame: wake())
        if seconds is not None:
            timer = threading.Timer(seconds, wake)
            timer.daemon = True
            timer.start()
        err.print("relaying until stopped (SIGTERM or Ctrl-C)")
        app.relay.run_forever(stop, timedelta(seconds=poll))
    typer.echo("relay stopped")


def _notify(app: bootstrap.App) -> None:
    from sqlalchemy import func, select

    from travelcore_adapters.postgres.outbox import CHANNEL

    with app.database.engine.connect() as conn:  # type: ignore[union-attr]
        conn.execute(select(func.pg_notify(CHANNEL, "")))
        conn.commit()
