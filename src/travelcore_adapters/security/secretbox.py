"""``SecretBox`` on AES-256-GCM (``cryptography``) with a key ring.

Token layout: version byte ``0x01``, key-id length, key id (ASCII), 12-byte nonce, ciphertext
and tag. New tokens use the current key; tokens under older keys of the ring still open, and
re-sealing moves them to the current key. Associated data binds a token to its row.

``digest`` is HMAC-SHA256 under ``digest_key``, by default a key derived (HKDF-SHA256) from
the current key: give a stable ``digest_key`` to keep digests across a rotation (a retry
whose stored fingerprint was made under another key is refused as a conflict).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from travelcore.kernel import ValidationFailed
from travelcore.kernel.errors import SecretUnreadable

_VERSION = 1
_NONCE = 12


class AesGcmSecretBox:
    """``keys`` maps key ids to 32-byte keys; ``current`` names the one that seals."""

    def __init__(
        self, keys: Mapping[str, bytes], current: str, *, digest_key: bytes | None = None
    ) -> None:
        if current not in keys:
            raise ValidationFailed("current", "known_key_id")
        for key_id, key in keys.items():
            if not key_id or len(key_id.encode()) > 255 or not key_id.isascii():
                raise ValidationFailed("keys", "ascii_key_id")
            if len(key) != 32:
                raise ValidationFailed("keys", "256_bit_key")
        if digest_key is not None and len(digest_key) < 32:
            raise ValidationFailed("digest_key", "256_bit_key")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current
        self._digest_key = digest_key or HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"travelcore.digest"
        ).derive(keys[current])

    @staticmethod
    def generate_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def __repr__(self) -> str:
        return f"AesGcmSecretBox(current={self._current!r}, keys={sorted(self._ciphers)!r})"

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes:
        key_id = self._current.encode()
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self._current].encrypt(nonce, plaintext, associated_data)
        return bytes([_VERSION, len(key_id)]) + key_id + nonce + sealed

    def open(self, sealed: bytes, associated_data: bytes) -> bytes:
        key_id, nonce, body = self._split(sealed)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SecretUnreadable("the secret was sealed with an unknown key", key_id=key_id)
        try:
            return cipher.decrypt(nonce, body, associated_data)
        except InvalidTag as exc:
            raise SecretUnreadable("the secret does not open for this row or was altered") from exc

    def digest(self, data: bytes) -> str:
        return hmac.new(self._digest_key, data, hashlib.sha256).hexdigest()

    def is_current(self, sealed: bytes) -> bool:
        return self._split(sealed)[0] == self._current

    @staticmethod
    def _split(sealed: bytes) -> tuple[str, bytes, bytes]:
        if len(sealed) < 2 or sealed[0] != _VERSION:
            raise SecretUnreadable("not a sealed secret")
        end = 2 + sealed[1]
        if len(sealed) < end + _NONCE + 16:
            raise SecretUnreadable("truncated sealed secret")
        return (
            sealed[2:end].decode("ascii", "replace"),
            sealed[end : end + _NONCE],
            sealed[end + _NONCE :],
        )
