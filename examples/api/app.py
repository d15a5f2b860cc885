"""The FastAPI app: the family pass and the business-trip planner over one
:class:`travelcore_adapters.bootstrap.App`.

``create_app()`` runs on the embedded PostgreSQL (or on ``DATABASE_URL`` when it is set);
``create_app(app)`` serves an App you wired yourself. See ``docs/http-api.md``.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from examples.api import family, problems, travel
from examples.api.auth import router as auth_router
from examples.api.services import Services
from travelcore_adapters import bootstrap
from travelcore_adapters.security import AesGcmSecretBox

DESCRIPTION = """\
The family activity pass and the business-trip planner, thin over travelcore.

* **Authentication**: `Authorization: Bearer <API key>` with `X-Tenant-Id`, or a session
  token from `POST /auth/sessions` (Bearer or the `travelcore_session` cookie).
* **Idempotency**: every unsafe request needs an `Idempotency-Key` header; a retry with the
  same key and body returns the first answer and changes nothing.
* **Errors**: RFC 9457 problem details (`application/problem+json`); `type` links to
  `/problems/<code>`.
* **Pagination**: lists take `limit` (1-100, default 20) and `offset` (0-10000) and answer
  `items`, `total` and `next_offset`.
"""


def default_app() -> bootstrap.App:
    """The App ``create_app()`` serves: ``DATABASE_URL`` or the embedded PostgreSQL."""
    key = os.environ.get("TRAVELCORE_SECRET_KEY")
    box = AesGcmSecretBox(
        {"k1": bytes.fromhex(key) if key else AesGcmSecretBox.generate_key()}, "k1"
    )
    url = os.environ.get("DATABASE_URL")
    return bootstrap.postgres(url, secret_box=box) if url else bootstrap.embedded(secret_box=box)


def create_app(app: bootstrap.App | None = None, *, sample_data: bool = False) -> FastAPI:
    """The HTTP API over ``app`` (None: :func:`default_app`, closed with the server, whose
    outbox relay then runs in the background). ``sample_data`` seeds a tenant with a
    family, a venue with sessions and a traveller, and prints their API keys."""
    owned = app is None
    wired = default_app() if app is None else app
    services = Services.of(
        wired, os.environ.get("TRAVELCORE_SESSION_SECRET") or secrets.token_urlsafe(32)
    )

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if owned:
            relay = services.relay()
            worker = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=10)
            if owned:
                wired.close()

    api = FastAPI(
        title="travelcore example API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=problems.PROBLEM_RESPONSES,
    )
    api.state.services = services
    FastAPIInstrumentor.instrument_app(api)  # server spans, once the host sets up an SDK
    problems.install(api)
    api.include_router(auth_router)
    api.include_router(family.router)
    api.include_router(travel.router)
    api.include_router(problems.router)
    if sample_data:
        from examples.api.sample import seed

        api.state.sample = seed(services)
        print(api.state.sample.describe())
    return api
