"""``PasswordHasher`` on argon2id (``argon2-cffi``), with needs-rehash support."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from travelcore.accounts import Secret


class Argon2PasswordHasher:
    """argon2id with the library's (RFC 9106 low-memory) defaults unless told otherwise."""

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: Secret) -> str:
        return self._hasher.hash(password.reveal())

    def verify(self, password_hash: str, password: Secret) -> bool:
        try:
            return self._hasher.verify(password_hash, password.reveal())
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
