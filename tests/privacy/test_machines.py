"""Stateful tests of consent (memory and PostgreSQL) and the export state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from travelcore.export import DataExport, ExportStatus
from travelcore.export.model import MOVES
from travelcore.kernel import InvalidTransition, TenantId, UserId, new_uuid
from travelcore.testing import consent_machine
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.postgres import PostgresDatabase

FEW = settings(max_examples=10, stateful_step_count=20, deadline=None, database=None)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

TestConsentOnMemory = consent_machine(MemoryDatabase).TestCase
TestConsentOnMemory.settings = settings(max_examples=40, deadline=None, stateful_step_count=30)


def test_consent_on_postgres(postgres_database: PostgresDatabase) -> None:
    run_state_machine_as_test(consent_machine(lambda: postgres_database), settings=FEW)


STEPS = ("start", "complete", "download", "expire")
TARGET = {
    "start": ExportStatus.PROCESSING,
    "complete": ExportStatus.READY,
    "download": ExportStatus.DOWNLOADED,
    "expire": ExportStatus.EXPIRED,
}


@given(st.lists(st.sampled_from(STEPS), max_size=12))
def test_an_export_moves_only_along_its_state_machine(steps: list[str]) -> None:
    export = DataExport(
        id=new_uuid(), tenant_id=TenantId(new_uuid()), user_id=UserId(new_uuid()), requested_at=T0
    )
    for step in steps:
        before = export.status
        allowed = TARGET[step] in MOVES[before]
        try:
            if step == "start":
                export.start(T0)
            elif step == "complete":
                export.complete({"children": []}, T0, timedelta(days=7))
            elif step == "download":
                assert export.download(T0) == {"children": []}
            else:
                export.expire()
        except InvalidTransition:
            assert not allowed
            assert export.status is before
        else:
            assert allowed
            assert export.status is TARGET[step]
        assert (export.document is None) == (
            export.status in (ExportStatus.REQUESTED, ExportStatus.PROCESSING, ExportStatus.EXPIRED)
        )


def test_a_download_after_expiry_is_refused() -> None:
    export = DataExport(
        id=new_uuid(), tenant_id=TenantId(new_uuid()), user_id=UserId(new_uuid()), requested_at=T0
    )
    export.start(T0)
    export.complete({}, T0, timedelta(days=7))
    with pytest.raises(InvalidTransition):
        export.download(T0 + timedelta(days=7))
    assert export.status is ExportStatus.READY
