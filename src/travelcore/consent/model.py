"""Parental consent (seed 003 ``parental_consent_records``): versioned texts per kind, and
grants and withdrawals kept as records, never updated.

**Current consent.** A child's current consent of a kind is the latest record (by time,
then by sequence) made for the *latest* text version of that kind: it counts if that record
is a grant. Publishing a new text version therefore suspends every earlier grant of the kind
until the parent grants the new text; the old records stay as history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from travelcore.kernel import TenantId, UserId, ValidationFailed
from travelcore.people.model import ChildId

MAX_TEXT = 20_000
MAX_NOTE = 500


class ConsentKind(StrEnum):
    DATA_PROCESSING = "data_processing"
    PHOTOS = "photos"
    AI_PERSONALISATION = "ai_personalisation"


class ConsentMethod(StrEnum):
    CHECKBOX = "checkbox"
    SIGNATURE = "signature"
    EMAIL_VERIFICATION = "email_verification"


def consent_kind(value: Any) -> ConsentKind:
    try:
        return ConsentKind(value)
    except ValueError:
        raise ValidationFailed("kind", "known_consent_kind") from None


def consent_method(value: Any) -> ConsentMethod:
    try:
        return ConsentMethod(value)
    except ValueError:
        raise ValidationFailed("method", "known_consent_method") from None


def _text(limit: int, *, required: bool) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            raise ValidationFailed(attribute.name, f"text_of_1_to_{limit}_characters")
        if "\x00" in value:
            raise ValidationFailed(attribute.name, "no_nul")

    return check


@attrs.frozen(kw_only=True)
class ConsentText:
    """Version ``version`` (1, 2, ...) of the text parents agree to for ``kind``."""

    tenant_id: TenantId
    kind: ConsentKind = attrs.field(converter=consent_kind)
    version: int
    text: str = attrs.field(validator=_text(MAX_TEXT, required=True))
    published_at: datetime


@attrs.frozen(kw_only=True)
class ConsentRecord:
    """One grant (``given``) or withdrawal, with the text it was made for."""

    id: UUID
    tenant_id: TenantId
    parent_id: UserId
    child_id: ChildId
    kind: ConsentKind = attrs.field(converter=consent_kind)
    version: int
    given: bool
    method: ConsentMethod = attrs.field(converter=consent_method)
    text: str
    recorded_at: datetime
    sequence: int = 0
    """Order of records made at the same instant (set by the service)."""
    ip_address: str | None = attrs.field(default=None, validator=_text(45, required=False))
    user_agent: str | None = attrs.field(default=None, validator=_text(MAX_NOTE, required=False))
    withdrawal_reason: str | None = attrs.field(
        default=None, validator=_text(MAX_NOTE, required=False)
    )


def current(
    records: Iterable[ConsentRecord], kind: ConsentKind, latest: ConsentText | None
) -> ConsentRecord | None:
    """The record that decides ``kind`` today: the latest one for ``latest``'s version."""
    if latest is None:
        return None
    relevant = [r for r in records if r.kind is kind and r.version == latest.version]
    return max(relevant, key=lambda r: (r.recorded_at, r.sequence), default=None)


def is_given(
    records: Iterable[ConsentRecord], kind: ConsentKind, latest: ConsentText | None
) -> bool:
    record = current(records, kind, latest)
    return record is not None and record.given
