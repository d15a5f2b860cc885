"""The security adapters against their contracts, plus adapter-specific checks."""

from __future__ import annotations

import pytest

from travelcore.kernel import ValidationFailed
from travelcore.testing import PasswordHasherContract, SecretBoxContract
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher

KEY_A = AesGcmSecretBox.generate_key()
KEY_B = AesGcmSecretBox.generate_key()


class TestAesGcmSecretBox(SecretBoxContract):
    @pytest.fixture
    def box(self) -> AesGcmSecretBox:
        return AesGcmSecretBox({"a": KEY_A}, current="a")

    @pytest.fixture
    def rotated_box(self) -> AesGcmSecretBox:
        return AesGcmSecretBox({"a": KEY_A, "b": KEY_B}, current="b")

    @pytest.fixture
    def stranger_box(self) -> AesGcmSecretBox:
        return AesGcmSecretBox({"a": AesGcmSecretBox.generate_key()}, current="a")


class TestArgon2PasswordHasher(PasswordHasherContract):
    @pytest.fixture
    def hasher(self) -> Argon2PasswordHasher:
        return Argon2PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)

    @pytest.fixture
    def weaker_hasher(self) -> Argon2PasswordHasher:
        return Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)


def test_hashes_are_argon2id() -> None:
    from travelcore.accounts import Secret

    hashed = Argon2PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(Secret("pw"))
    assert hashed.startswith("$argon2id$")


def test_keys_never_appear_in_repr() -> None:
    box = AesGcmSecretBox({"a": KEY_A}, current="a")
    assert KEY_A.hex() not in repr(box)
    assert repr(KEY_A) not in repr(box)


@pytest.mark.parametrize(
    ("keys", "current"),
    [({"a": b"short"}, "a"), ({"a": KEY_A}, "b"), ({"": KEY_A}, "")],
)
def test_bad_key_rings_are_refused(keys: dict[str, bytes], current: str) -> None:
    with pytest.raises(ValidationFailed):
        AesGcmSecretBox(keys, current=current)
