"""The data export contract: what an export holds and the states it goes through.

Subclass :class:`ExportContract` and provide ``database`` (``(TenantId) -> unit of work``
with every repository), ``outbox``, ``vectors`` (dimension ``DIMENSION``) and ``clock``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from travelcore.export import SECTIONS, DataExport, DataExportService, ExportStatus
from travelcore.kernel import (
    AccessDenied,
    Actor,
    InvalidTransition,
    ManualClock,
    NotFound,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
    to_data,
)
from travelcore.outbox.ports import OutboxStore
from travelcore.retention import RetentionJob
from travelcore.testing.footprint import NAME, Family, leave_footprint
from travelcore.testing.world import World
from travelcore.vectors.ports import VectorStore


class ExportContract:
    @pytest.fixture
    def world(self, database: Callable[[TenantId], Any], clock: ManualClock) -> World:
        return World(database, clock)

    @pytest.fixture
    def exports(self, database: Callable[[TenantId], Any], clock: ManualClock) -> DataExportService:
        return DataExportService(database, clock)

    @pytest.fixture
    def family(
        self,
        world: World,
        database: Callable[[TenantId], Any],
        vectors: VectorStore,
        outbox: OutboxStore,
    ) -> Family:
        return leave_footprint(world, database, vectors, outbox)

    def system(self, world: World) -> Actor:
        return Actor.system(world.tenant, "exports")

    def produced(self, database: Any, family: Family) -> DataExport:
        with database(family.parent.tenant_id) as uow:
            [export] = uow.data_exports.for_user(family.parent.user_id)
        assert isinstance(export, DataExport)
        return export

    def test_the_export_holds_everything_about_the_parent_and_children(
        self, world: World, database: Any, family: Family, exports: DataExportService
    ) -> None:
        export = self.produced(database, family)
        assert export.status is ExportStatus.READY
        document = exports.download(export.id, actor=family.parent)
        assert json.loads(json.dumps(document)) == document
        assert set(document) == {*SECTIONS, "format", "user_id", "generated_at"}
        assert all(document[section] for section in SECTIONS), [
            s for s in SECTIONS if not document[s]
        ]
        with database(world.tenant) as uow:
            children = uow.children.for_parent(family.parent.user_id)
            bookings = uow.bookings.for_parent(family.parent.user_id)
        assert document["children"] == to_data(children)
        assert {c["first_name"] for c in document["children"]} == {NAME, "Kid1"}
        assert len(document["bookings"]) == len(bookings) == 4
        assert {r["child_id"] for r in document["consents"]} == {
            str(family.child),
            str(family.sibling),
        }
        assert NAME in document["search_logs"][0]["query_text"]
        assert NAME in document["messages"][0]["content"]
        assert document["ledger"][0]["entries"]
        assert export.file_size_bytes == len(json.dumps(document, sort_keys=True).encode())

    def test_requested_processing_ready_downloaded_expired(
        self, world: World, database: Any, family: Family, exports: DataExportService
    ) -> None:
        export = self.produced(database, family)
        assert export.file_expires_at == export.completed_at + timedelta(days=7)  # type: ignore[operator]
        assert exports.produce(actor=self.system(world)) == []
        exports.download(export.id, actor=family.parent)
        exports.download(export.id, actor=family.parent)
        seen = exports.get(export.id, actor=family.parent)
        assert (seen.status, seen.download_count) == (ExportStatus.DOWNLOADED, 2)
        world.clock.advance(timedelta(days=7))
        with pytest.raises(InvalidTransition):
            exports.download(export.id, actor=family.parent)
        purged = RetentionJob(database, world.clock).run(actor=Actor.system(world.tenant, "r"))
        assert purged["data_exports"] == 1
        expired = exports.get(export.id, actor=family.parent)
        assert (expired.status, expired.document) == (ExportStatus.EXPIRED, None)
        with pytest.raises(InvalidTransition):
            exports.download(export.id, actor=family.parent)
        again = exports.request(actor=family.parent)
        assert exports.get(again.id, actor=family.parent).status is ExportStatus.REQUESTED
        assert exports.produce(actor=self.system(world)) == [again.id]

    def test_only_the_parent_reads_and_only_the_system_produces(
        self, world: World, database: Any, family: Family, exports: DataExportService
    ) -> None:
        export = self.produced(database, family)
        other = Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
        admin = Actor(tenant_id=world.tenant, role=Role.PLATFORM_ADMIN, user_id=UserId(new_uuid()))
        for actor in (other, admin):
            with pytest.raises(AccessDenied):
                exports.download(export.id, actor=actor)
        with pytest.raises(AccessDenied):
            exports.request(actor=admin)
        with pytest.raises(ValidationFailed) as bad:
            exports.request(actor=family.parent, request_user_agent="x" * 501)
        assert bad.value.field == "request_user_agent"
        with pytest.raises(AccessDenied):
            exports.produce(actor=family.parent)
        elsewhere = Actor(
            tenant_id=TenantId(new_uuid()), role=Role.PARENT, user_id=family.parent.user_id
        )
        with pytest.raises(NotFound):
            exports.get(export.id, actor=elsewhere)
