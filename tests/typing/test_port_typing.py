"""A user's code that builds services by hand passes ``mypy --strict``: the ports declare
their repositories as read-only properties, which each adapter's own repository classes
fit (a plain attribute would be invariant and refuse them; the negative control shows it)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).parents[2]

PLAIN_ATTRIBUTE = """
from typing import Protocol

from travelcore.catalog.ports import VenueRepository
from travelcore.kernel import TenantId
from travelcore_adapters.memory import MemoryDatabase, MemoryUnitOfWork


class PlainVenues(Protocol):
    venues: VenueRepository


def use(uow: PlainVenues) -> None: ...


use(MemoryDatabase()(TenantId("00000000-0000-4000-8000-000000000000")))
"""


def strict(*paths: Path) -> tuple[str, int]:
    config = str(ROOT / "pyproject.toml")
    out, err, status = api.run(["--config-file", config, "--strict", *map(str, paths)])
    return out + err, status


def test_services_built_by_hand_type_check() -> None:
    report, status = strict(Path(__file__).with_name("hand_wired.py"))
    assert status == 0, report


def test_negative_control_a_plain_repository_attribute_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain_attribute.py"
    plain.write_text(PLAIN_ATTRIBUTE)
    report, status = strict(plain)
    assert status == 1
    assert 'incompatible type "MemoryUnitOfWork"' in report, report
