"""A dump of the API keys table cannot be used to authenticate: on PostgreSQL every stored
value of a key's row, used as a key or spliced into a well-formed one (with a valid
checksum) behind the stored prefix, is refused; only the token shown at creation works."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from travelcore.apikeys import ApiKeyService, CreateApiKey, InvalidApiKey, checksum
from travelcore.apikeys.token import PREFIX_LENGTH
from travelcore.kernel import ManualClock, TenantId, UserId, new_uuid
from travelcore.testing.actors import admin
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.security import AesGcmSecretBox

BOX = AesGcmSecretBox({"k1": os.urandom(32)}, "k1")
SECRET = 32 - PREFIX_LENGTH


def forged(prefix: str, value: str) -> list[str]:
    """Well-formed keys behind ``prefix`` made of the alphanumerics of ``value``."""
    letters = re.sub("[^0-9A-Za-z]", "", value)
    pieces = [letters[i : i + SECRET] for i in range(0, max(len(letters) - SECRET, 0) + 1, 8)]
    heads = [f"tc_live_{prefix}{piece.ljust(SECRET, '0')}" for piece in pieces if piece]
    return [f"{head}_{checksum(head)}" for head in heads]


def test_no_value_of_a_dumped_key_row_authenticates(
    postgres_database: PostgresDatabase, superuser: psycopg.Connection[Any]
) -> None:
    tenant = TenantId(new_uuid())
    service = ApiKeyService(
        postgres_database, ManualClock(datetime(2026, 3, 1, tzinfo=UTC)), digest=BOX
    )
    cmd = CreateApiKey(
        tenant_id=tenant,
        user_id=UserId(new_uuid()),
        role="hr_admin",
        name="Payroll sync",
        scopes=frozenset({"read:employees"}),
    )
    issued = service.create(cmd, actor=admin(tenant))
    with superuser.cursor(row_factory=dict_row) as cursor:
        [row] = cursor.execute("SELECT * FROM api_keys WHERE tenant_id = %s", (tenant,)).fetchall()
    dump = {name: str(value) for name, value in row.items() if value is not None}
    secret = issued.token.split("_")[2][PREFIX_LENGTH:]
    assert not [name for name, value in dump.items() if secret in value]
    candidates = [*dump.values()]
    for value in dump.values():
        candidates += forged(issued.key.prefix, value)
    assert len(candidates) > len(dump)
    for candidate in candidates:
        with pytest.raises(InvalidApiKey):
            service.authenticate(tenant, candidate)
    assert service.authenticate(tenant, issued.token).api_key_id == issued.key.id
