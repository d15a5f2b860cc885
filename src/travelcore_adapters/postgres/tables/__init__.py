"""SQLAlchemy Core tables, one module per bounded context, all on one ``metadata``.

Adding a context means adding its module here (and a migration under ``migrations/``).
"""

from travelcore_adapters.postgres.tables import (
    accounts,
    apikeys,
    audit,
    billing,
    booking,
    catalog,
    discovery,
    flags,
    invitations,
    kernel,
    ledger,
    notifications,
    outbox,
    payments,
    people,
    privacy,
    settings,
    travel,
    vectors,
)
from travelcore_adapters.postgres.tables.base import metadata, tenant_table, tenant_tables

__all__ = [
    "accounts",
    "apikeys",
    "audit",
    "billing",
    "booking",
    "catalog",
    "discovery",
    "flags",
    "invitations",
    "kernel",
    "ledger",
    "metadata",
    "notifications",
    "outbox",
    "payments",
    "people",
    "privacy",
    "settings",
    "tenant_table",
    "tenant_tables",
    "travel",
    "vectors",
]
