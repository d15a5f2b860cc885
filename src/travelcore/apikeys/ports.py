"""The API key ports: the repository and the keyed digest the hashes are made with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from travelcore.apikeys.model import ApiKey, ApiKeyId
from travelcore.kernel import TenantId, UnitOfWork
from travelcore.people.ports import UserRepository


class KeyedDigest(Protocol):
    """HMAC under a key of the application (``SecretBox`` is one)."""

    def digest(self, data: bytes) -> str: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None:
        """``AlreadyExists`` on a clash of id or prefix."""
        ...

    def get(self, key_id: ApiKeyId) -> ApiKey: ...

    def save(self, key: ApiKey) -> None: ...

    def find_by_prefix(self, prefix: str) -> ApiKey | None: ...


class ApiKeysUnitOfWork(UnitOfWork, Protocol):
    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def users(self) -> UserRepository:
        """Where a key's actor finds the corporate or venue its user is bound to."""
        ...


ApiKeysUowFactory = Callable[[TenantId], ApiKeysUnitOfWork]
