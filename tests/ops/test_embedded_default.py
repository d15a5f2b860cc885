"""Without a database URL the command line runs on the embedded server in ``--data-dir``:
the first use provisions and migrates it, copies started at once share it, and what one
command wrote the next one reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ops.conftest import ROOT


def ops(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "examples.ops", *args],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
            "TRAVELCORE_DATA_DIR": str(data_dir),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def done(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def test_migrate_create_a_tenant_and_run_a_job_on_the_embedded_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "travelcore"
    first, second = ops(data_dir, "create-tenant", "Acme"), ops(data_dir, "create-tenant", "Beta")
    tenants = {done(first).strip(), done(second).strip()}  # one server, one database
    assert done(ops(data_dir, "migrate")).strip() == "migrated to head"  # again: no change
    lines = done(ops(data_dir, "credit-expiry")).splitlines()  # for every tenant
    assert sorted(lines) == sorted(f"{t}: closed=0" for t in tenants)
    assert (data_dir / "travelcore.json").stat().st_mode & 0o077 == 0  # the roles' passwords
