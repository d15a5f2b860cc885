"""API keys: the format and its checksum, shown once, scopes, expiry, revocation, last use,
and no read for a key with a wrong checksum."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.apikeys import (
    TOKEN_PATTERN,
    ApiKeyService,
    CreateApiKey,
    InvalidApiKey,
    checksum,
    parse_token,
)
from travelcore.kernel import (
    AccessDenied,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.testing.actors import admin
from travelcore_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from travelcore_adapters.memory.apikeys import MemoryApiKeys
from travelcore_adapters.security import AesGcmSecretBox

T0 = datetime(2026, 3, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())
BOX = AesGcmSecretBox({"k1": os.urandom(32)}, "k1")


class RecordingApiKeys(MemoryApiKeys):
    reads: list[str] = []

    def find_by_prefix(self, prefix: str) -> Any:
        RecordingApiKeys.reads.append(prefix)
        return super().find_by_prefix(prefix)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def database() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def service(clock: ManualClock, database: MemoryDatabase) -> ApiKeyService:
    def uow(tenant_id: TenantId) -> MemoryUnitOfWork:
        unit = database(tenant_id)
        unit.api_keys = RecordingApiKeys(unit)
        return unit

    RecordingApiKeys.reads = []
    return ApiKeyService(uow, clock, digest=BOX)


def create(service: ApiKeyService, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "tenant_id": TENANT,
        "user_id": UserId(new_uuid()),
        "role": "hr_admin",
        "name": "Payroll sync",
        "scopes": frozenset({"read:employees", "write:bookings"}),
    }
    cmd = CreateApiKey(**(values | fields))
    return service.create(cmd, actor=admin(cmd.tenant_id))


def test_a_key_is_recognisable_and_authenticates_as_its_actor(service: ApiKeyService) -> None:
    issued = create(service)
    assert TOKEN_PATTERN.fullmatch(issued.token)
    assert issued.token not in repr(issued)
    actor = service.authenticate(TENANT, issued.token, scope="write:bookings")
    assert (actor.user_id, actor.role, actor.tenant_id) == (
        issued.key.user_id,
        "hr_admin",
        TENANT,
    )
    assert actor.api_key_id == issued.key.id
    assert actor.scopes == frozenset({"read:employees", "write:bookings"})


def test_only_a_prefix_and_a_keyed_hash_are_stored(
    service: ApiKeyService, database: MemoryDatabase
) -> None:
    issued = create(service)
    stored = issued.key
    assert stored.prefix in issued.token
    assert issued.token not in repr(stored)
    assert issued.token not in stored.secret_hash
    other_key = AesGcmSecretBox({"k1": os.urandom(32)}, "k1")
    elsewhere = ApiKeyService(database, ManualClock(T0), digest=other_key)
    with pytest.raises(InvalidApiKey):
        elsewhere.authenticate(TENANT, issued.token)  # the hash is keyed


@given(st.data())
def test_any_change_to_a_key_breaks_its_checksum(data: st.DataObject) -> None:
    token = f"tc_live_{'a' * 32}"
    token = f"{token}_{checksum(token)}"
    position = data.draw(st.integers(8, len(token) - 1))
    if token[position] == "_":
        return
    replacement = data.draw(
        st.sampled_from("0123456789xyzXYZ").filter(lambda c: c != token[position])
    )
    mangled = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(InvalidApiKey) as error:
        parse_token(mangled)
    assert error.value.reason == "checksum"


def test_a_wrong_checksum_is_refused_without_a_read(service: ApiKeyService) -> None:
    issued = create(service)
    RecordingApiKeys.reads.clear()
    broken = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    with pytest.raises(InvalidApiKey) as error:
        service.authenticate(TENANT, broken)
    assert error.value.reason == "checksum"
    for bad in ("", "tc_live_short", issued.token.replace("tc_live", "tc_prod"), 42):
        with pytest.raises(InvalidApiKey):
            service.authenticate(TENANT, bad)  # type: ignore[arg-type]
    assert RecordingApiKeys.reads == []
    service.authenticate(TENANT, issued.token)  # the negative control: a good key is read
    assert RecordingApiKeys.reads == [issued.key.prefix]


def test_a_well_formed_unknown_key_is_refused_after_one_read(service: ApiKeyService) -> None:
    issued = create(service)
    forged = f"tc_live_{issued.key.prefix}{'Z' * 24}"
    forged = f"{forged}_{checksum(forged)}"
    with pytest.raises(InvalidApiKey) as error:
        service.authenticate(TENANT, forged)
    assert error.value.reason == "unknown"
    with pytest.raises(InvalidApiKey):
        service.authenticate(TenantId(new_uuid()), issued.token)  # another tenant


def test_scopes_expiry_revocation_and_last_use(service: ApiKeyService, clock: ManualClock) -> None:
    issued = create(service, expires_at=T0 + timedelta(days=30))
    with pytest.raises(AccessDenied) as denied:
        service.authenticate(TENANT, issued.token, scope="write:credits")
    assert not isinstance(denied.value, InvalidApiKey)
    clock.advance(timedelta(days=1))
    service.authenticate(TENANT, issued.token)
    revoked = service.revoke(TENANT, issued.key.id, reason="leaked in a log", actor=admin(TENANT))
    assert revoked.last_used_at == T0 + timedelta(days=1)
    assert revoked.revoked_reason == "leaked in a log"
    with pytest.raises(InvalidApiKey) as error:
        service.authenticate(TENANT, issued.token)
    assert error.value.reason == "revoked"
    expiring = create(service, expires_at=T0 + timedelta(days=2))
    clock.advance(timedelta(days=1))
    with pytest.raises(InvalidApiKey) as error:
        service.authenticate(TENANT, expiring.token)
    assert error.value.reason == "expired"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scopes": frozenset()}, "scopes"),
        ({"scopes": frozenset({"admin:everything"})}, "scopes"),
        ({"name": ""}, "name"),
        ({"expires_at": T0}, "expires_at"),
        ({"environment": "prod"}, "environment"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    service: ApiKeyService, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        create(service, **fields)
    assert error.value.field == field
