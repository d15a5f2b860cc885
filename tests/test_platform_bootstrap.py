"""The composition root wires API keys (with a secret box) and the tenants' flag sets."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from travelcore.apikeys import CreateApiKey
from travelcore.flags import FeatureFlag, FlagContext
from travelcore.kernel import ManualClock, TenantId, UserId, new_uuid
from travelcore.testing.actors import admin
from travelcore_adapters import bootstrap
from travelcore_adapters.security import AesGcmSecretBox

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_api_keys_need_a_secret_box() -> None:
    with bootstrap.memory() as app, pytest.raises(bootstrap.NotWired, match="secret_box"):
        app.api_keys  # noqa: B018


def test_api_keys_and_flags_through_the_app() -> None:
    box = AesGcmSecretBox({"k1": secrets.token_bytes(32)}, current="k1")
    tenant, user = TenantId(new_uuid()), UserId(new_uuid())
    with bootstrap.memory(clock=ManualClock(NOW), secret_box=box) as app:
        issued = app.api_keys.create(
            CreateApiKey(
                tenant_id=tenant,
                user_id=user,
                role="parent",
                name="Family calendar",
                scopes=frozenset({"read:bookings"}),
            ),
            actor=admin(tenant),
        )
        assert app.api_keys.authenticate(tenant, issued.token).user_id == user
        with app.database(tenant) as uow:
            uow.feature_flags.add(
                FeatureFlag(
                    tenant_id=tenant, key="k", name="K", enabled=True, rollout_percentage=100
                )
            )
            uow.commit()
        context = FlagContext(environment="production", now=NOW, user_id=user)
        assert app.flags(tenant).is_enabled("k", context)
        assert not app.flags(TenantId(new_uuid())).is_enabled("k", context)
