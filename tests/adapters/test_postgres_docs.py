"""The examples in docs/postgres.md run, against the session's database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from travelcore_adapters.postgres.migrate import main
from travelcore_adapters.postgres.provision import ProvisionedDatabase

DOC = Path(__file__).parents[2] / "docs" / "postgres.md"


def test_python_examples_run(postgres_test_database: ProvisionedDatabase) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        namespace = {
            "owner_url": postgres_test_database.owner_url,
            "app_url": postgres_test_database.app_url,
            "app_role": postgres_test_database.app_role,
            "day": date(2026, 3, 2),
            "now": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        }
        exec(compile(block, str(DOC), "exec"), namespace)


def test_migration_command_line(postgres_test_database: ProvisionedDatabase) -> None:
    url = postgres_test_database.owner_url.render_as_string(hide_password=False)
    main(["--url", url, "--app-role", postgres_test_database.app_role, "upgrade", "head"])
