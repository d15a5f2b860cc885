"""A data export (seed 003 ``data_export_requests``) and its states:
``requested -> processing -> ready -> downloaded | expired`` (a downloaded export may be
downloaded again and expires too); any other move is ``InvalidTransition``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from travelcore.kernel import InvalidTransition, TenantId, UserId, ValidationFailed

SECTIONS = (
    "profile",
    "children",
    "bookings",
    "waitlist",
    "ledger",
    "feedback",
    "reviews",
    "notifications",
    "consents",
    "suggestions",
    "favourites",
    "search_logs",
    "conversations",
    "messages",
)
"""What an export holds, one list of records per section."""


class ExportStatus(StrEnum):
    REQUESTED = "requested"
    PROCESSING = "processing"
    READY = "ready"
    DOWNLOADED = "downloaded"
    EXPIRED = "expired"


MOVES = {
    ExportStatus.REQUESTED: {ExportStatus.PROCESSING},
    ExportStatus.PROCESSING: {ExportStatus.READY},
    ExportStatus.READY: {ExportStatus.DOWNLOADED, ExportStatus.EXPIRED},
    ExportStatus.DOWNLOADED: {ExportStatus.DOWNLOADED, ExportStatus.EXPIRED},
    ExportStatus.EXPIRED: set(),
}


def _optional_text(limit: int) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (
            not isinstance(value, str) or len(value) > limit or "\x00" in value
        ):
            raise ValidationFailed(attribute.name, f"text_of_at_most_{limit}_characters")

    return check


@attrs.define(kw_only=True)
class DataExport:
    id: UUID
    tenant_id: TenantId
    user_id: UserId
    requested_at: datetime
    status: ExportStatus = ExportStatus.REQUESTED
    export_type: str = "full_data"
    format: str = "json"
    started_at: datetime | None = None
    completed_at: datetime | None = None
    document: dict[str, Any] | None = None
    file_size_bytes: int | None = None
    file_expires_at: datetime | None = None
    download_count: int = 0
    last_downloaded_at: datetime | None = None
    request_ip: str | None = attrs.field(default=None, validator=_optional_text(45))
    request_user_agent: str | None = attrs.field(default=None, validator=_optional_text(500))
    version: int = 1

    def _move(self, target: ExportStatus) -> None:
        if target not in MOVES[self.status]:
            raise InvalidTransition("data_export", self.status, target)
        self.status = target

    def start(self, now: datetime) -> None:
        self._move(ExportStatus.PROCESSING)
        self.started_at = now

    def complete(self, document: dict[str, Any], now: datetime, keep_for: timedelta) -> None:
        self._move(ExportStatus.READY)
        self.document = document
        self.file_size_bytes = len(json.dumps(document, sort_keys=True).encode())
        self.completed_at = now
        self.file_expires_at = now + keep_for

    def download(self, now: datetime) -> dict[str, Any]:
        if self.is_due_to_expire(now):
            raise InvalidTransition("data_export", "past_expiry", ExportStatus.DOWNLOADED)
        self._move(ExportStatus.DOWNLOADED)
        self.download_count += 1
        self.last_downloaded_at = now
        assert self.document is not None
        return self.document

    def expire(self) -> None:
        """The document goes; the request stays as the record that it was made."""
        self._move(ExportStatus.EXPIRED)
        self.document = None

    def is_due_to_expire(self, now: datetime) -> bool:
        return self.file_expires_at is not None and now >= self.file_expires_at
