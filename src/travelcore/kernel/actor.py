"""Who a use case runs for: a user with a role (and, for an API key, its scopes) in one
tenant."""

from __future__ import annotations

from uuid import UUID

import attrs

from travelcore.kernel.errors import AccessDenied
from travelcore.kernel.ids import TenantId, UserId


@attrs.frozen(kw_only=True)
class Actor:
    """``scopes`` ``None``: every scope the role allows (a signed-in user); a set: only
    those (an API key, ``api_key_id``)."""

    tenant_id: TenantId
    user_id: UserId
    role: str
    scopes: frozenset[str] | None = None
    api_key_id: UUID | None = None

    def may(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def require(self, scope: str) -> None:
        """``AccessDenied`` unless the actor holds ``scope``."""
        if not self.may(scope):
            raise AccessDenied(f"missing scope {scope}", scope=scope)
