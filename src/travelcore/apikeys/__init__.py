"""API keys: a scanner-friendly format, keyed hashes, scopes, expiry and revocation."""

from travelcore.apikeys.model import SCOPES, ApiKey, ApiKeyId
from travelcore.apikeys.ports import ApiKeyRepository, ApiKeysUnitOfWork, KeyedDigest
from travelcore.apikeys.service import ApiKeyService, CreateApiKey, IssuedApiKey
from travelcore.apikeys.token import TOKEN_PATTERN, InvalidApiKey, checksum, parse_token

__all__ = [
    "SCOPES",
    "TOKEN_PATTERN",
    "ApiKey",
    "ApiKeyId",
    "ApiKeyRepository",
    "ApiKeyService",
    "ApiKeysUnitOfWork",
    "CreateApiKey",
    "InvalidApiKey",
    "IssuedApiKey",
    "KeyedDigest",
    "checksum",
    "parse_token",
]
