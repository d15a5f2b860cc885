"""Real back ends for the vector-store tests: a needledb server (Pinecone API) and a
PostgreSQL database with pgvector. Session-wide singletons, started on first use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from travelcore.kernel import Clock
from travelcore_adapters.pinecone import PineconeVectorStore

API_KEY = "travelcore-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NeedleServer:
    """``needledb serve`` in a subprocess; stop() and start() keep the port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = shutil.which("needledb") or str(Path(sys.executable).parent / "needledb")
        self._process = subprocess.Popen(
            [
                executable,
                "serve",
                "--data",
                str(self.data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--api-key",
                API_KEY,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("needledb exited during start-up")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("needledb did not answer within 60 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def create_index(self, dimension: int) -> str:
        from needledb import NeedleDB

        name = f"t-{uuid.uuid4().hex[:12]}"
        NeedleDB(self.url, api_key=API_KEY).create_index(name, dimension=dimension, metric="cosine")
        return name

    def drop_index(self, name: str) -> None:
        from needledb import NeedleDB

        NeedleDB(self.url, api_key=API_KEY).delete_index(name)

    def store(self, name: str, dimension: int, clock: Clock | None = None) -> PineconeVectorStore:
        return PineconeVectorStore.connect(
            API_KEY,
            f"{self.url}/indexes/{name}",
            dimension,
            clock=clock,
            failure_threshold=3,
        )


_needle: NeedleServer | None = None
_engine: Engine | None = None


@pytest.fixture(scope="session")
def needledb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NeedleServer]:
    global _needle
    if _needle is None:
        _needle = NeedleServer(tmp_path_factory.mktemp("needledb"))
        _needle.start()
    yield _needle
    _needle.stop()


@pytest.fixture
def pinecone_store_factory(
    needledb_server: NeedleServer,
) -> Iterator[object]:
    """``make(dimension, clock=None)`` -> a store on a fresh index (or the configured one)."""
    host = os.environ.get("TRAVELCORE_TEST_PINECONE_HOST")
    created: list[str] = []

    def make(dimension: int, clock: Clock | None = None) -> PineconeVectorStore:
        if host:
            store = PineconeVectorStore.connect(
                os.environ["PINECONE_API_KEY"], host, dimension, clock=clock
            )
            for namespace in store.stats().namespaces:
                store._index.delete(delete_all=True, namespace=namespace)
            return store
        name = needledb_server.create_index(dimension)
        created.append(name)
        return needledb_server.store(name, dimension, clock)

    yield make
    for name in created:
        needledb_server.drop_index(name)


@pytest.fixture(scope="session")
def pgvector_engine(postgres_superuser_url: str) -> Engine:
    """An engine on a database of its own (``travelcore_vectors_test``)."""
    global _engine
    if _engine is None:
        base = make_url(postgres_superuser_url).set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = 'travelcore_vectors_test'")
            ).scalar()
            if not exists:
                conn.execute(text("CREATE DATABASE travelcore_vectors_test"))
        admin.dispose()
        _engine = create_engine(base.set(database="travelcore_vectors_test"), pool_size=4)
    return _engine
