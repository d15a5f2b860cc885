"""Developer and CI tasks. pyproject.toml is the single source of dependencies."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "mypy", "tests", "docs"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _install(session: nox.Session, extras: str, *groups: str) -> None:
    session.install("-e", f".[{extras}]")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


def _pgbouncer(session: nox.Session) -> None:
    """The PgBouncer tests run Debian's ``pgbouncer``; install it when it is missing."""
    if shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.error("the PgBouncer tests need pgbouncer: install it (apt-get install pgbouncer)")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", "pgbouncer", external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, against real PostgreSQL, PgBouncer, Pinecone-API, Stripe-API,
    PayPal-API (a stand-in) and SMTP servers, on every core (``pytest-xdist``)."""
    _install(session, "all", "tests")
    _pgbouncer(session)
    session.run("pytest", *(session.posargs or ["-n", "auto"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and the import-linter layering contract."""
    _install(session, "all", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over src/, examples/ and bench/."""
    _install(session, "all", "typing")
    session.run("mypy")


@nox.session
def demo(session: nox.Session) -> None:
    """The walk-through in examples/demo."""
    _install(session, "all")
    session.run("python", "-m", "examples.demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: travelcore against hand-written baselines, ratios from one run."""
    _install(session, "all", "tests", "bench")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session
def bench_peers(session: nox.Session) -> None:
    """pgvector through travelcore, langchain-postgres and llama-index, on one server and
    the same data. An environment of its own: the peers pin older SQLAlchemy and pgvector."""
    _install(session, "postgres,embedded", "bench-peers")
    session.run("python", "-m", "bench.vector_peers", *session.posargs)


@nox.session
def api(session: nox.Session) -> None:
    """The example HTTP API on http://127.0.0.1:8000 (embedded PostgreSQL, or
    DATABASE_URL), with sample data unless other arguments are given."""
    _install(session, "all", "api")
    session.run("python", "-m", "examples.api", *(session.posargs or ["--sample-data"]))


@nox.session
def docs(session: nox.Session) -> None:
    """The docs site (mkdocs-material, the API reference from the docstrings), built with
    warnings as errors."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    site = os.path.join(session.create_tmp(), "site")
    session.run("mkdocs", "build", "--strict", "--site-dir", site, env={"NO_MKDOCS_2_WARNING": "1"})
