"""DDL shared by the migrations: row-level security and grants for tenant tables.

Migrations call these helpers; keep their output stable (a change here changes what an
old migration would create on a fresh database).
"""

from __future__ import annotations

import re

TENANT_SETTING = "app.tenant_id"
TENANT_PREDICATE = f"tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
"""NULLIF: once a transaction-local setting has ended, the session reports '' (not NULL) for
it; both mean "no tenant" and match no row."""

POLICY = "tenant_isolation"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """``name`` double-quoted, after checking it is a plain lower-case identifier."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def tenant_rls(table: str) -> list[str]:
    """Statements enabling and forcing row-level security on ``table`` with the tenant
    policy (FORCE: the owner is held to it too)."""
    t = identifier(table)
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {POLICY} ON {t} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]


def grant(table: str, role: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> str:
    return f"GRANT {privileges} ON {identifier(table)} TO {identifier(role)}"
