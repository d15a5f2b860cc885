"""Random sequences of every public command (from the differential test: right-typed
random arguments, most of them refused) leave exactly one audit entry per change: on memory
each step's entries name exactly the rows it changed (none for most refusals), and on
PostgreSQL each step leaves the entries memory left. ``test_audit_use_cases`` runs each use
case on purpose; these helpers serve both."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.adapters.test_postgres_differential_services import COMMANDS, Runner, steps
from travelcore.audit import AuditEntry
from travelcore.audit.model import entity_id
from travelcore.kernel import TenantId, new_uuid
from travelcore.testing.audit import every_entry
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.audit import AUDIT_LOGS
from travelcore_adapters.memory.repository import MemoryRepository
from travelcore_adapters.postgres import PostgresDatabase


def audited_tables(database: MemoryDatabase) -> dict[str, str]:
    """Table name -> entity name of every audited memory repository (nested ones too)."""
    found: dict[str, str] = {}

    def walk(value: Any, depth: int) -> None:
        if isinstance(value, MemoryRepository) and value.audited:
            found[value.table] = value.entity
        if depth < 2:
            for attribute in vars(value).values():
                if hasattr(attribute, "__dict__") and not isinstance(attribute, type):
                    walk(attribute, depth + 1)

    walk(database(TenantId(new_uuid())), 0)
    return found


def rows(database: MemoryDatabase, tables: dict[str, str]) -> dict[tuple[str, Hashable], Any]:
    return {
        (table, key): value
        for table in tables
        for key, value in database.store.tables[table].items()
    }


def changed(
    before: dict[tuple[str, Hashable], Any],
    after: dict[tuple[str, Hashable], Any],
    tables: dict[str, str],
) -> Counter[tuple[str, str]]:
    """(entity, id) of every row added, changed or removed."""
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return Counter(
        (tables[table], entity_id(key[1], after.get((table, key), before.get((table, key)))))
        for table, key in keys
    )


def memory_entries(database: MemoryDatabase) -> dict[Any, AuditEntry]:
    return dict(database.store.tables[AUDIT_LOGS])


def shape(entries: Iterator[AuditEntry]) -> Counter[tuple[str, str, tuple[str, ...]]]:
    """What an entry says, without ids and times: entity, action and the fields changed."""
    return Counter(
        (e.entity_type, e.action.value, tuple(sorted(e.after or e.before or {}))) for e in entries
    )


def public_commands(services: dict[str, type], queries: dict[str, set[str]]) -> set[str]:
    """``service.method`` of every public method of ``services`` but their ``queries``."""
    return {
        f"{name}.{method}"
        for name, service in services.items()
        for method, _ in inspect.getmembers(service, inspect.isfunction)
        if not method.startswith("_") and method not in queries.get(name, set())
    }


def entries_of_step(
    database: MemoryDatabase, tables: dict[str, str], name: str, step: Callable[[], Any]
) -> list[AuditEntry]:
    """Run ``step`` on memory: its new entries, which must name exactly the rows of
    ``tables`` it added, changed or removed."""
    before, seen = rows(database, tables), memory_entries(database)
    step()
    new = [e for key, e in memory_entries(database).items() if key not in seen]
    expected = changed(before, rows(database, tables), tables)
    assert Counter((e.entity_type, e.entity_id) for e in new) == expected, name
    return new


def audits_alike(
    memory_db: MemoryDatabase,
    postgres_database: PostgresDatabase,
    tenant: TenantId,
    steps: Iterator[tuple[str, Callable[[], Any], Callable[[], Any]]],
) -> None:
    """Run each named step on memory and on PostgreSQL (``tenant``'s log) side by side:
    each must leave entries of the same entities, actions and changed fields."""
    pg_seen = {e.id for e in _pg_entries(postgres_database, tenant)}
    for name, on_memory, on_pg in steps:
        seen = memory_entries(memory_db)
        on_memory()
        on_pg()
        new_memory = (e for k, e in memory_entries(memory_db).items() if k not in seen)
        pg_now = _pg_entries(postgres_database, tenant)
        new_pg = (e for e in pg_now if e.id not in pg_seen)
        assert shape(new_pg) == shape(new_memory), name
        pg_seen = {e.id for e in pg_now}


def step_name(step: tuple[Any, ...]) -> str:
    if step[0] == "job":
        return f"{step[1][0]}.{step[1][1]}"
    if isinstance(step[0], str):
        return step[0]
    service, method = COMMANDS[step[0]]
    return f"{service}.{method}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=8, max_size=30))
def test_on_memory_each_step_audits_exactly_the_rows_it_changed(
    sequence: list[tuple[Any, ...]],
) -> None:
    database = MemoryDatabase()
    runner = Runner(database)
    tables = audited_tables(database)
    for step in sequence:
        before, seen = rows(database, tables), memory_entries(database)
        outcome = runner.run(step)
        new = [e for key, e in memory_entries(database).items() if key not in seen]
        expected = changed(before, rows(database, tables), tables)
        assert Counter((e.entity_type, e.entity_id) for e in new) == expected, step
        event(f"{step_name(step)}: {len(new)} entries ({outcome})")


def test_postgres_audits_each_step_as_memory_does(postgres_database: PostgresDatabase) -> None:
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(steps, min_size=8, max_size=30))
    def check(sequence: list[tuple[Any, ...]]) -> None:
        memory_db = MemoryDatabase()
        memory, pg = Runner(memory_db), Runner(postgres_database)
        pg_seen = {e.id for e in _pg_entries(postgres_database, pg.tenant)}
        for step in sequence:
            seen = memory_entries(memory_db)
            assert pg.run(step) == memory.run(step), step
            new_memory = (e for k, e in memory_entries(memory_db).items() if k not in seen)
            pg_now = _pg_entries(postgres_database, pg.tenant)
            new_pg = (e for e in pg_now if e.id not in pg_seen)
            assert shape(new_pg) == shape(new_memory), step
            pg_seen = {e.id for e in pg_now}

    check()


def _pg_entries(database: PostgresDatabase, tenant: TenantId) -> list[AuditEntry]:
    with database(tenant) as uow:
        return every_entry(uow)
