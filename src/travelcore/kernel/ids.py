"""Identifiers shared by every bounded context. Contexts declare their own typed ids beside
their models (``BookingId = NewType("BookingId", UUID)``)."""

from __future__ import annotations

from typing import NewType
from uuid import UUID, uuid4

TenantId = NewType("TenantId", UUID)
UserId = NewType("UserId", UUID)


def new_uuid() -> UUID:
    """A fresh random identifier; wrap it in the entity's id type."""
    return uuid4()
