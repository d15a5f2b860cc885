"""``python -m examples.ops serve`` as a real process on 127.0.0.1: uvicorn serves the HTTP
API on the database given, its workers agree on API keys and session tokens, and SIGTERM
stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from examples.ops.cli import cli
from typer.testing import CliRunner

from tests.ops.conftest import ROOT
from travelcore_adapters.postgres import ProvisionedDatabase


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(database: ProvisionedDatabase, log: Path, *args: str) -> subprocess.Popen[bytes]:
    url = database.app_url.render_as_string(hide_password=False)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRAVELCORE_")},
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "examples.ops", "--database-url", url, "serve", *args]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            assert httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200
            return
        except httpx.TransportError:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)


def _stop(server: subprocess.Popen[bytes], log: Path) -> str:
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0, log.read_text()
    return log.read_text()


def test_serve_runs_the_api_with_two_workers(
    ops_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    port, log = _free_port(), tmp_path / "serve.log"
    server = _serve(ops_database, log, "--port", str(port), "--workers", "2", "--sample-data")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base, log)
        printed = log.read_text()
        tenant = re.search(r"X-Tenant-Id: (\S+)", printed)
        key = re.search(r"garcia@acme.example: Authorization: Bearer (\S+)", printed)
        password = re.search(r"password for everyone: '([^']+)'", printed)
        assert tenant is not None, printed
        assert key is not None
        assert password is not None
        schema = httpx.get(f"{base}/openapi.json", timeout=10).json()
        assert schema["info"]["title"] == "travelcore example API"
        api_key = {"Authorization": f"Bearer {key[1]}", "X-Tenant-Id": tenant[1]}
        listed = httpx.get(f"{base}/activities", headers=api_key, timeout=10)
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 3
        assert httpx.get(f"{base}/activities", timeout=10).status_code == 401
        signed_in = httpx.post(
            f"{base}/auth/sessions",
            json={"tenant_id": tenant[1], "email": "kim@acme.example", "password": password[1]},
            headers={"Idempotency-Key": "sign-in-1"},
            timeout=10,
        )
        assert signed_in.status_code == 201, signed_in.text
        token = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        # each request on a new connection, served by either worker: one session secret
        for _ in range(8):
            me = httpx.get(f"{base}/auth/me", headers=token, timeout=10)
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "parent"
    finally:
        printed = _stop(server, log)
    assert printed.count("Application shutdown complete") == 2
    assert "Stopping parent process" in printed


def test_serve_with_one_worker_stops_cleanly(
    ops_database: ProvisionedDatabase, tmp_path: Path
) -> None:
    port, log = _free_port(), tmp_path / "serve.log"
    server = _serve(ops_database, log, "--port", str(port))
    try:
        _wait_until_up(server, f"http://127.0.0.1:{port}", log)
    finally:
        printed = _stop(server, log)
    assert "Application shutdown complete" in printed
    assert "TRAVELCORE_SECRET_KEY is not set" in printed


def test_reload_runs_one_worker() -> None:
    result = CliRunner().invoke(cli, ["serve", "--reload", "--workers", "2"])
    assert result.exit_code == 2
    assert "--reload runs one worker" in result.stderr
