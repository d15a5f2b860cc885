"""A reader of every stored row (a database dump) cannot confirm a guessed secret: the
idempotency fingerprints cover secrets only through a digest keyed by the application."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from psycopg import sql

from travelcore.accounts import (
    AccountService,
    KeyedRequest,
    RegisterAccount,
    Secret,
    StoreCredential,
)
from travelcore.kernel import ManualClock, TenantId, UserId, dumps, new_uuid
from travelcore.kernel.idempotency import fingerprint, fingerprint_data
from travelcore.testing.actors import admin
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.provision import ProvisionedDatabase, admin_connection
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
ATTACKER_BOX = AesGcmSecretBox({"k1": AesGcmSecretBox.generate_key()}, current="k1")
HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
PASSWORD = "hunter2hunter2"  # 14 characters, as in the recovered password
API_KEY = "AMADEUS-KEY-9f2c"
DIGESTS = ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256")

Dump = Callable[[], list[str]]


def _leaves(value: Any) -> Iterator[str]:
    """Every string and byte string reachable from a stored value, as text."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes | bytearray):
        yield bytes(value).hex()
        yield bytes(value).decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key)
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _leaves(getattr(value, field.name))
    elif value is not None:
        yield str(value)


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> tuple[Any, Dump]:
    if request.param == "memory":
        memory = MemoryDatabase()
        return memory, lambda: [
            leaf for table in memory.store.tables.values() for leaf in _leaves(table)
        ]
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    provisioned: ProvisionedDatabase = request.getfixturevalue("postgres_test_database")

    def dump() -> list[str]:
        url = provisioned.superuser_url
        with admin_connection(url, provisioned.name) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
            rows: list[str] = []
            for (table,) in tables:
                query = sql.SQL("SELECT row_to_json(t)::text FROM {} t").format(
                    sql.Identifier(str(table))
                )
                rows.extend(str(row) for (row,) in conn.execute(query))
            return rows

    return database, dump


def _guesses(secret: str, salts: list[str]) -> set[str]:
    """What a reader would try: the secret itself and plain digests of it, alone or salted
    with what the rows show (tenant, idempotency key, field name)."""
    found = {secret, secret.encode().hex(), base64.b64encode(secret.encode()).decode()}
    messages = [secret, *(f"{salt}\0{secret}" for salt in salts), "\0".join([*salts, secret])]
    for name in DIGESTS:
        for message in messages:
            found.add(hashlib.new(name, message.encode()).hexdigest())
    return found


def _with_digests(request: KeyedRequest, digest: Callable[[bytes], str]) -> KeyedRequest:
    cmd = request.command
    return KeyedRequest(
        cmd,
        {
            name: digest("\0".join((str(cmd.tenant_id), cmd.idempotency_key, name, value)).encode())
            for name, value in {"password": PASSWORD, "api_key": API_KEY}.items()
            if name in request.digests
        },
    )


def test_a_dump_confirms_no_guessed_secret(backend: tuple[Any, Dump]) -> None:
    database, dump = backend
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    service = AccountService(database, clock, secret_box=BOX, hasher=HASHER)
    tenant, user = TenantId(new_uuid()), UserId(new_uuid())
    register = RegisterAccount(
        tenant_id=tenant,
        user_id=user,
        email=f"{user.hex}@example.com",
        name="Ada",
        password=Secret(PASSWORD),
        idempotency_key="register-1",
    )
    store = StoreCredential(
        tenant_id=tenant,
        user_id=user,
        provider="Amadeus",
        fields={"api_key": Secret(API_KEY)},
        idempotency_key="store-1",
    )
    service.register(register, actor=admin(register.tenant_id))
    service.store_credential(store, actor=admin(store.tenant_id))

    stored = dump()
    text = "\n".join(stored)
    salts = [str(tenant), "register-1", "store-1", "password", "api_key", f"{tenant}:store-1"]
    for secret in (PASSWORD, API_KEY):
        leaked = {guess for guess in _guesses(secret, salts) if guess in text}
        assert leaked == set()

    with database(tenant) as uow:
        prints = {key: uow.idempotency.get(key).fingerprint for key in ("register-1", "store-1")}
    assert all(value in text for value in prints.values())  # the dump holds them
    for key, cmd, name in (("register-1", register, "password"), ("store-1", store, "api_key")):
        request = service._keyed(cmd, {name: Secret("?")})
        # The scheme is public, the key is not: neither plain digests nor another key
        # reproduce the stored fingerprint, the application's key does.
        attempts = [
            _with_digests(request, lambda data, h=h: hashlib.new(h, data).hexdigest())
            for h in DIGESTS
        ] + [_with_digests(request, ATTACKER_BOX.digest)]
        by = admin(tenant)
        assert all(fingerprint(attempt, by) != prints[key] for attempt in attempts)
        assert fingerprint(_with_digests(request, BOX.digest), by) == prints[key]
        assert "***" in dumps(fingerprint_data(request))  # the command's own data, redacted
