"""Bookings through PgBouncer in transaction mode (Debian's ``pgbouncer`` package, in front
of the test server): the portable statement path works; the fast one does not, since
PgBouncer hands each transaction whichever server connection is free (so named prepared
statements meet connections that never saw them, or already have them)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import URL, func, literal, select

from travelcore.booking import BookSession
from travelcore.kernel import ManualClock, TenantId, TravelcoreError, Unavailable, new_uuid
from travelcore.testing.actors import admin
from travelcore.testing.world import World
from travelcore_adapters.postgres import ConnectionLost, PostgresDatabase, StatementTimedOut
from travelcore_adapters.postgres.provision import ProvisionedDatabase
from travelcore_adapters.postgres.statements import Statement

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SERVER_CONNECTIONS, CLIENT_CONNECTIONS, FAMILIES = 2, 8, 8
BORN = (date(2016, 5, 1), date(2017, 5, 1), date(2018, 5, 1))
ONE = Statement(select(literal(1)))
BACKEND = Statement(select(func.pg_backend_pid()))

pytestmark = pytest.mark.timeout(600)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def bouncer(
    postgres_test_database: ProvisionedDatabase, server_admin: psycopg.Connection[Any]
) -> Iterator[tuple[URL, subprocess.Popen[bytes]]]:
    """The application role's URL through PgBouncer (transaction pooling, at most
    ``SERVER_CONNECTIONS`` server connections), and PgBouncer's process."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert os.path.exists(binary), "pgbouncer is not installed (apt-get install pgbouncer)"
    app = postgres_test_database.app_url
    server_port = server_admin.execute("SHOW port").fetchone()
    assert server_port is not None
    host = app.query.get("host") or app.host  # a socket folder, or a host name
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="travelcore-pgbouncer-"))
    folder.chmod(0o755)  # PgBouncer refuses to run as root: see ``user`` below
    (folder / "users.txt").write_text(f'"{app.username}" "{app.password}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n{app.database} = host={host} port={server_port[0]} dbname={app.database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {SERVER_CONNECTIONS}\n"
        "max_client_conn = 100\nignore_startup_parameters = options\n"
        "query_wait_timeout = 0\n"  # a loaded machine may keep a client waiting long
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    user = []
    if os.geteuid() == 0:  # as the owner of the server's socket folder, else nobody
        owner = Path(host).owner() if Path(host).is_dir() else "nobody"
        user = ["-u", "nobody" if owner == "root" else owner]
    log = (folder / "pgbouncer.log").open("w")
    process = subprocess.Popen(
        [binary, *user, str(folder / "pgbouncer.ini")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, (folder / "pgbouncer.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.05)
        url = URL.create(
            "postgresql",
            username=app.username,
            password=app.password,
            host="127.0.0.1",
            port=port,
            database=app.database,
        )
        yield url, process
    finally:
        process.terminate()
        process.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def bouncer_url(bouncer: tuple[URL, subprocess.Popen[bytes]]) -> URL:
    return bouncer[0]


@pytest.fixture(scope="module")
def server_admin(postgres_test_database: ProvisionedDatabase) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to the test server (directly, not through PgBouncer)."""
    with psycopg.connect(
        postgres_test_database.superuser_url.replace("postgresql+psycopg", "postgresql"),
        autocommit=True,
    ) as conn:
        yield conn


def test_bookings_through_pgbouncer_in_transaction_mode_on_the_portable_path(
    bouncer_url: URL,
) -> None:
    with PostgresDatabase(
        bouncer_url,
        pool_size=CLIENT_CONNECTIONS,
        statement_path="portable",
        connect_args={"prepare_threshold": None},
        retry_attempts=8,
    ) as database:
        world = World(database, ManualClock(T0))
        families = [
            (world.session(capacity=len(BORN), credits=5), *world.family(credits=20, born=BORN))
            for _ in range(FAMILIES)
        ]
        book = database.retrying(world.bookings.book)
        backends: set[int] = set()

        def attempt(booking: tuple[Any, Any, Any]) -> None:
            session_id, parent, child = booking
            book(
                BookSession(
                    tenant_id=world.tenant,
                    session_id=session_id,
                    child_id=child,
                    parent_id=parent,
                    idempotency_key=f"book-{child}",
                ),
                actor=admin(world.tenant),
            )
            with database(world.tenant) as uow:
                backends.add(uow.scope.rows(BACKEND, {})[0][0])

        bookings = [(s, parent, child) for s, parent, children in families for child in children]
        with ThreadPoolExecutor(CLIENT_CONNECTIONS) as pool:
            list(pool.map(attempt, bookings))

        for session_id, parent, _ in families:
            assert world.get_session(session_id).booked_count == len(BORN)
            assert len(world.bookings_on(session_id)) == len(BORN)
            balance = world.balance(parent)
            assert (balance.held, balance.available) == (15, 5)
        assert len(backends) <= SERVER_CONNECTIONS  # eight clients shared two connections


def test_the_fast_path_is_unsupported_behind_pgbouncer_in_transaction_mode(
    bouncer_url: URL,
) -> None:
    """Two clients, one after the other on the one idle server connection: the second
    prepares a statement the first already prepared there."""
    with PostgresDatabase(bouncer_url, pool_size=2) as database:
        tenant = TenantId(new_uuid())
        with database(tenant) as first, database(tenant) as second:
            assert first.scope.rows(ONE, {}) == [(1,)]
            first.commit()
            with pytest.raises(TravelcoreError, match="already exists"):
                second.scope.rows(ONE, {})


def test_a_stopped_pgbouncer_surfaces_as_unavailable_within_the_timeouts(
    bouncer: tuple[URL, subprocess.Popen[bytes]],
) -> None:
    """PgBouncer stops answering (SIGSTOP: its socket still accepts connections, nothing
    replies): the statement in flight ends as ``StatementTimedOut`` after the statement
    timeout plus a second, and a new connection as ``ConnectionLost`` after the connect
    timeout (both ``Unavailable``), while a connection without a timeout still waits.
    Once PgBouncer runs again, so does the database."""
    url, process = bouncer
    with PostgresDatabase(
        url,
        pool_size=2,
        statement_path="portable",
        connect_args={"prepare_threshold": None},
        statement_timeout=0.3,
        connect_timeout=2,
        reconnect_within=0,
    ) as database:
        tenant = TenantId(new_uuid())
        with database(tenant) as uow:
            assert uow.scope.rows(ONE, {}) == [(1,)]
            process.send_signal(signal.SIGSTOP)
            try:
                started = time.monotonic()
                with pytest.raises(StatementTimedOut):
                    uow.scope.rows(ONE, {})
                assert time.monotonic() - started < 0.3 + 1 + 3
                started = time.monotonic()
                with pytest.raises(ConnectionLost) as lost, database(tenant) as again:
                    again.scope.rows(ONE, {})
                assert time.monotonic() - started < 2 + 3
                assert isinstance(lost.value, Unavailable)
                unbounded = ThreadPoolExecutor(1).submit(  # the control: no connect timeout
                    psycopg.connect, url.render_as_string(hide_password=False), connect_timeout=0
                )
                time.sleep(2 + 3)
                assert not unbounded.done()
            finally:
                process.send_signal(signal.SIGCONT)
            unbounded.result(timeout=30).close()
        with database(tenant) as uow:
            assert uow.scope.rows(ONE, {}) == [(1,)]
