"""``python -m examples.agent [--script FILE] [--backend memory|embedded]``: talk to the
travel agent (type, and read its answers), or play a scripted conversation. Payments go
through Stripe when ``STRIPE_API_KEY`` is set (``STRIPE_API_BASE`` for localstripe), through
the in-process gateway otherwise."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from examples.agent.agent import TravelAgent, run_script
from examples.agent.offers import TariffSearch
from examples.ops.database import gateway_from_env
from travelcore.agent import RuleBasedUnderstanding
from travelcore.kernel import Actor, TenantId, UserId, new_uuid
from travelcore.travel import RegisterTenant
from travelcore_adapters import bootstrap

VECTOR_TABLE = "agent_vectors"


@contextmanager
def open_app(backend: str) -> Iterator[bootstrap.App]:
    """The services with the ONNX embedder: on memory, or on an embedded PostgreSQL with
    the pgvector store (its table created by the owner role)."""
    from travelcore_adapters.onnx import all_minilm_l6_v2

    embedder = all_minilm_l6_v2(threads=1)
    gateway = gateway_from_env()
    if backend == "memory":
        with bootstrap.memory(embedder=embedder, gateway=gateway) as app:
            yield app
        return
    from sqlalchemy import create_engine

    from travelcore_adapters.pgvector import PgVectorStore, create_schema
    from travelcore_adapters.postgres import embedded_server, provision_database

    with ExitStack() as stack:
        database = provision_database(stack.enter_context(embedded_server()))
        engines = [
            create_engine(url.set(drivername="postgresql+psycopg"))
            for url in (database.owner_url, database.app_url)
        ]
        for engine in engines:
            stack.callback(engine.dispose)
        create_schema(engines[0], embedder.dimension, VECTOR_TABLE, app_role=database.app_role)
        store = PgVectorStore(engines[1], embedder.dimension, table=VECTOR_TABLE)
        yield stack.enter_context(
            bootstrap.postgres(
                database.app_url, embedder=embedder, vector_store=store, gateway=gateway
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Talk to the travelcore travel agent.")
    parser.add_argument("--script", type=Path, help="a file of messages, one a line")
    parser.add_argument("--backend", choices=("memory", "embedded"), default="memory")
    parser.add_argument("--card", default="pm_card_visa", help="the payment method token")
    args = parser.parse_args(argv)
    with open_app(args.backend) as app:
        tenant = TenantId(new_uuid())
        admin = Actor.tenant_admin(tenant, UserId(new_uuid()))
        app.travel.register_tenant(
            RegisterTenant(tenant_id=tenant, name="Acme Travel"), actor=admin
        )
        agent = TravelAgent(
            app,
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            understanding=RuleBasedUnderstanding(),
            search=TariffSearch(),
            card=lambda: args.card,
        )
        if args.script:
            for message, answer in run_script(agent, args.script.read_text().splitlines()):
                print(f"you> {message}\nagent> {answer}\n")
            return
        print("agent> Hello! What trip can I help you with? (Ctrl-D to leave)")
        for line in sys.stdin:
            if line.strip():
                print(f"agent> {agent.reply(line.strip())}")
            if agent.ended:
                break


if __name__ == "__main__":
    main()
