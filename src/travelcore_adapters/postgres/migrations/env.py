"""Alembic environment: the URL and the application role come from the ``Config`` built by
``travelcore_adapters.postgres.migrate`` (or ``-x url=... -x app_role=...``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from travelcore_adapters.postgres.database import psycopg_url
from travelcore_adapters.postgres.migrate import DEFAULT_APP_ROLE
from travelcore_adapters.postgres.tables import metadata

config = context.config
x_args = context.get_x_argument(as_dictionary=True)
config.attributes.setdefault("app_role", x_args.get("app_role", DEFAULT_APP_ROLE))
url = config.attributes.get("url") or x_args.get("url") or config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError(
        "no database URL: pass -x url=... or use travelcore_adapters.postgres.migrate"
    )
url = psycopg_url(url)

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
