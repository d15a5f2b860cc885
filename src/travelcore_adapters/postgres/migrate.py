"""Run the Alembic migrations programmatically or from the command line::

    python -m travelcore_adapters.postgres.migrate --url OWNER_URL --app-role ROLE upgrade head

Migrations run as the schema owner; ``app_role`` is the role the library connects as and
receives only the grants each table needs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import URL

from travelcore_adapters.postgres.database import psycopg_url

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_APP_ROLE = "travelcore_app"


def alembic_config(url: str | URL, app_role: str = DEFAULT_APP_ROLE) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = psycopg_url(url)
    config.attributes["app_role"] = app_role
    return config


def upgrade(url: str | URL, app_role: str = DEFAULT_APP_ROLE, revision: str = "head") -> None:
    command.upgrade(alembic_config(url, app_role), revision)


def downgrade(url: str | URL, app_role: str = DEFAULT_APP_ROLE, revision: str = "base") -> None:
    command.downgrade(alembic_config(url, app_role), revision)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL of the owner role")
    parser.add_argument("--app-role", default=DEFAULT_APP_ROLE)
    parser.add_argument("action", choices=["upgrade", "downgrade"])
    parser.add_argument("revision", nargs="?")
    args = parser.parse_args(argv)
    if args.action == "upgrade":
        upgrade(args.url, args.app_role, args.revision or "head")
    else:
        downgrade(args.url, args.app_role, args.revision or "base")


if __name__ == "__main__":
    main()
