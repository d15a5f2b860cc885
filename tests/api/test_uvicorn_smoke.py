"""The real server: ``python -m examples.api --sample-data --otel-console`` under uvicorn on
127.0.0.1, on a PostgreSQL given by ``DATABASE_URL``, answers over HTTP and prints its
spans."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from travelcore_adapters.postgres.provision import ProvisionedDatabase

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_server_process_serves_the_api(
    postgres_test_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": postgres_test_database.app_url.render_as_string(hide_password=False),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "examples.api",
        *("--port", str(port), "--sample-data", "--otel-console"),
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        printed = log.read_text()
        tenant = re.search(r"X-Tenant-Id: (\S+)", printed)
        key = re.search(r"garcia@acme.example: Authorization: Bearer (\S+)", printed)
        assert tenant is not None
        assert key is not None
        auth = {"Authorization": f"Bearer {key[1]}", "X-Tenant-Id": tenant[1]}
        listed = httpx.get(f"{base}/activities", headers=auth, timeout=10)
        assert listed.status_code == 200
        assert listed.json()["total"] == 3
        assert httpx.get(f"{base}/dashboard", timeout=10).status_code == 401
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    # uvicorn shuts down cleanly, then re-raises SIGTERM; the console exporter flushes
    printed = log.read_text()
    assert "Application shutdown complete" in printed
    assert '"name": "GET /activities"' in printed
    assert '"name": "travelcore.repository.batch"' in printed
    assert key[1] not in printed.split("Application startup complete")[1]
