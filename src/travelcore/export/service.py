"""Data export use cases: a parent requests an export of everything the platform holds
about them and their children; a job (as the system actor) produces it as JSON through the
one serialization path; the parent downloads it until it expires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from travelcore.export.model import SECTIONS, DataExport
from travelcore.export.ports import DataExportRepository, ExportUnitOfWork
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    InvalidTransition,
    PolicyProvider,
    Role,
    StaleVersion,
    StaticPolicies,
    TenantId,
    UserId,
    checked_clock,
    new_uuid,
    to_data,
)

FORMAT = "travelcore.export/1"


class DataExportService:
    def __init__(
        self,
        uow_factory: Callable[[TenantId], ExportUnitOfWork],
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    def request(
        self,
        *,
        actor: Actor,
        request_ip: str | None = None,
        request_user_agent: str | None = None,
    ) -> DataExport:
        """The parent's own export, to be produced by :meth:`produce`."""
        parent = _parent(actor)
        export = DataExport(
            id=new_uuid(),
            tenant_id=actor.tenant_id,
            user_id=parent,
            requested_at=self._clock.now(),
            request_ip=request_ip,
            request_user_agent=request_user_agent,
        )
        with self._uow(actor.tenant_id) as uow:
            uow.users.get(parent)
            uow.data_exports.add(export)
            uow.commit()
        return export

    def produce(self, *, actor: Actor, limit: int = 10) -> list[UUID]:
        """The job: produce up to ``limit`` requested exports, each in one transaction
        (``processing`` then ``ready``); an export another process took is skipped."""
        _system(actor)
        with self._uow(actor.tenant_id) as uow:
            waiting = [e.id for e in uow.data_exports.requested(limit)]
        keep_for = self._policies.policy_for(actor.tenant_id).data_export_retention
        produced = []
        for export_id in waiting:
            try:
                with self._uow(actor.tenant_id) as uow:
                    export = uow.data_exports.get(export_id)
                    now = self._clock.now()
                    export.start(now)
                    export.complete(self._document(uow, export.user_id), now, keep_for)
                    uow.data_exports.save(export)
                    uow.commit()
            except (StaleVersion, InvalidTransition):
                continue  # another process produced it
            produced.append(export_id)
        return produced

    def get(self, export_id: UUID, *, actor: Actor) -> DataExport:
        with self._uow(actor.tenant_id) as uow:
            return _own(uow.data_exports.get(export_id), actor)

    def download(self, export_id: UUID, *, actor: Actor) -> dict[str, Any]:
        with self._uow(actor.tenant_id) as uow:
            export = _own(uow.data_exports.get(export_id), actor)
            document = export.download(self._clock.now())
            uow.data_exports.save(export)
            uow.commit()
        return document

    def _document(self, uow: ExportUnitOfWork, parent: UserId) -> dict[str, Any]:
        children = uow.children.for_parent(parent)
        records = uow.personal_data.records(parent, [c.id for c in children])
        return {
            "format": FORMAT,
            "user_id": str(parent),
            "generated_at": to_data(self._clock.now()),
            **{section: to_data(records.get(section, [])) for section in SECTIONS},
        }


def expire_due(exports: DataExportRepository, now: datetime) -> int:
    """Expire the exports whose time is up (a rule of the retention job)."""
    due = exports.due_to_expire(now)
    for export in due:
        export.expire()
        exports.save(export)
    return len(due)


def _parent(actor: Actor) -> UserId:
    if actor.role is not Role.PARENT or actor.user_id is None:
        raise AccessDenied("a parent requests the export of their own data", rule="own_data")
    return actor.user_id


def _system(actor: Actor) -> None:
    if not actor.is_system:
        raise AccessDenied("exports are produced by the system job", rule="system_job")


def _own(export: DataExport, actor: Actor) -> DataExport:
    if export.user_id != _parent(actor):
        raise AccessDenied("a parent reads only their own exports", rule="own_data")
    return export
