"""The ops command line against a PostgreSQL database of its own (whole-database jobs such
as the relay and the purge see every tenant's rows): in process through typer's runner, and
as real processes, two at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from examples.ops.cli import cli
from typer.testing import CliRunner

from travelcore.kernel import ManualClock, SystemClock
from travelcore.testing.world import World
from travelcore_adapters.postgres import PostgresDatabase, ProvisionedDatabase, provision_database

ROOT = Path(__file__).resolve().parents[2]


class Ops:
    """Runs ``python -m examples.ops --database-url URL ...``."""

    def __init__(self, database: ProvisionedDatabase) -> None:
        self.url = database.app_url.render_as_string(hide_password=False)

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        """In process; returns the exit code, stdout and stderr."""
        result = CliRunner().invoke(cli, ["--database-url", self.url, *args], env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """A process of its own."""
        return subprocess.Popen(
            [sys.executable, "-m", "examples.ops", "--database-url", self.url, *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def twice(self, *args: str, env: dict[str, str] | None = None) -> list[dict[str, int]]:
        """Two processes at once; each one's counts (empty when it found the job locked)."""
        processes = [self.start(*args, env=env) for _ in range(2)]
        counts = []
        for process in processes:
            out, error = process.communicate(timeout=120)
            assert process.returncode == 0, error
            counts.append(parse(out))
        return counts


def parse(out: str) -> dict[str, int]:
    """The summed counts of a job's ``<tenant>: kind=n ...`` lines."""
    totals: dict[str, int] = {}
    for line in out.splitlines():
        _, _, rest = line.partition(": ")
        for pair in rest.split():
            kind, equals, n = pair.partition("=")
            if equals:
                totals[kind] = totals.get(kind, 0) + int(n)
    return totals


def total(counts: list[dict[str, int]], kind: str) -> int:
    return sum(c.get(kind, 0) for c in counts)


@pytest.fixture(scope="module")
def ops_database(postgres_superuser_url: str) -> ProvisionedDatabase:
    return provision_database(postgres_superuser_url)


@pytest.fixture(scope="module")
def database(ops_database: ProvisionedDatabase) -> Iterator[PostgresDatabase]:
    with PostgresDatabase(ops_database.app_url, pool_size=4) as database:
        yield database


@pytest.fixture
def ops(ops_database: ProvisionedDatabase) -> Ops:
    return Ops(ops_database)


def world_at(database: PostgresDatabase, ago: timedelta) -> World:
    """A new tenant's world whose clock stands ``ago`` before now (the jobs run now)."""
    return World(database, ManualClock(SystemClock().now() - ago))


def now() -> datetime:
    return SystemClock().now()
