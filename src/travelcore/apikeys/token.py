"""The API key format: ``tc_<env>_<32 base62 characters>_<crc32 in 6 base62 characters>``.

The fixed prefix and the checksum let secret scanners find leaked keys
(:data:`TOKEN_PATTERN`) and let :func:`parse_token` refuse a mistyped or made-up key
without reading anything. The first :data:`PREFIX_LENGTH` random characters are the key's
public lookup prefix; the whole token is stored only as a keyed hash.
"""

from __future__ import annotations

import re
import secrets
import zlib

import attrs

from travelcore.kernel import AccessDenied

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ENVIRONMENTS = ("live", "test")
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
PREFIX_LENGTH = 8
TOKEN_PATTERN = re.compile(r"\btc_(live|test)_([0-9A-Za-z]{32})_([0-9A-Za-z]{6})\b")
"""Matches an API key anywhere in a text (for secret scanners)."""


class InvalidApiKey(AccessDenied):
    """The key is malformed, unknown, revoked or expired (``reason`` says which; tell the
    caller no more than "invalid")."""

    code = "invalid_api_key"

    def __init__(self, reason: str) -> None:
        super().__init__("invalid API key", reason=reason)
        self.reason = reason


@attrs.frozen
class ParsedToken:
    environment: str
    prefix: str
    token: str = attrs.field(repr=False)


def new_token(environment: str) -> str:
    """A fresh random key (about 190 random bits) for ``environment``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    head = f"tc_{environment}_{body}"
    return f"{head}_{checksum(head)}"


def checksum(head: str) -> str:
    """CRC-32 of ``head`` in base62, padded to :data:`CHECKSUM_LENGTH` characters."""
    value, digits = zlib.crc32(head.encode()), []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def parse_token(token: object) -> ParsedToken:
    """The parts of a well-formed key; ``InvalidApiKey("malformed")`` otherwise, with no
    I/O."""
    match = TOKEN_PATTERN.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise InvalidApiKey("malformed")
    head = token[: -CHECKSUM_LENGTH - 1]  # type: ignore[index]
    if not secrets.compare_digest(checksum(head), match[3]):
        raise InvalidApiKey("checksum")
    return ParsedToken(match[1], match[2][:PREFIX_LENGTH], match[0])
