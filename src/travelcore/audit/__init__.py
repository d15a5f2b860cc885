"""The audit log: one entry per entity changed, written in the transaction of the change,
append-only, read by entity, actor and time, purged after the retention period."""

from travelcore.audit.model import (
    REDACTED,
    AuditAction,
    AuditCursor,
    AuditEntry,
    AuditPage,
    AuditQuery,
    audit_entries,
    masked,
    redacted,
)
from travelcore.audit.ports import AuditLog, AuditUnitOfWork, AuditUowFactory
from travelcore.audit.service import AuditService

__all__ = [
    "REDACTED",
    "AuditAction",
    "AuditCursor",
    "AuditEntry",
    "AuditLog",
    "AuditPage",
    "AuditQuery",
    "AuditService",
    "AuditUnitOfWork",
    "AuditUowFactory",
    "audit_entries",
    "masked",
    "redacted",
]
