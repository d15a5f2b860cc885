"""docs/postgres.md distributes every table of the schema by ``tenant_id``, in an order
where the tables a foreign key points at come first."""

from __future__ import annotations

import re
from pathlib import Path

from travelcore_adapters.postgres import tables

DOC = Path(__file__).parents[2] / "docs" / "postgres.md"


def test_the_citus_calls_name_every_table_in_dependency_order() -> None:
    documented = re.findall(r"create_distributed_table\('(\w+)', 'tenant_id'\)", DOC.read_text())
    assert documented == [table.name for table in tables.metadata.sorted_tables]
