"""The README's first booking runs as written on memory, and unchanged but for its first
call on PostgreSQL (``bootstrap.postgres(url)``, as the README says), where its retry
leaves one booking; it stays within twenty lines from the first import to the booking."""

from __future__ import annotations

from pathlib import Path

from tests.test_docs import python_blocks
from travelcore_adapters.postgres import PostgresDatabase, ProvisionedDatabase

README = Path(__file__).parents[1] / "README.md"
MEMORY = "bootstrap.memory()"


def first_booking() -> tuple[int, str]:
    first, source, _ = next(b for b in python_blocks(README) if "app.booking.book(" in b[1])
    assert source.count(MEMORY) == 1
    return first, source


def run(source: str, first: int) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile("\n" * (first - 1) + source, str(README), "exec"), namespace)
    return namespace


def test_on_memory() -> None:
    first, source = first_booking()
    namespace = run(source, first)
    assert namespace["receipt"].status == "pending"  # type: ignore[attr-defined]


def test_it_is_twenty_lines_from_import_to_the_booking() -> None:
    _, source = first_booking()
    lines = source.splitlines()
    booked = next(i for i, line in enumerate(lines) if "app.booking.book(" in line)
    assert lines[0].startswith("from ")
    assert booked + 1 <= 20


def test_on_postgresql(postgres_test_database: ProvisionedDatabase) -> None:
    first, source = first_booking()
    url = postgres_test_database.app_url.render_as_string(hide_password=False)
    namespace = run(source.replace(MEMORY, f"bootstrap.postgres({url!r})"), first)
    tenant, receipt = namespace["tenant"], namespace["receipt"]
    session = namespace["sample"].session_id  # type: ignore[attr-defined]
    with PostgresDatabase(url) as database, database(tenant) as uow:  # type: ignore[arg-type]
        stored = uow.bookings.for_session(session)
    assert [b.confirmation_code for b in stored] == [receipt.confirmation_code]  # type: ignore[attr-defined]
