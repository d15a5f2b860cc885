"""Security adapters: AES-GCM secret box with key rotation, argon2id password hashing."""

from travelcore_adapters.security.passwords import Argon2PasswordHasher
from travelcore_adapters.security.secretbox import AesGcmSecretBox

__all__ = ["AesGcmSecretBox", "Argon2PasswordHasher"]
