"""A Pinecone-API server for development and tests: needledb, started on a free local port.

    with needledb_server() as server:
        store = server.create_store(dimension=384)

needledb speaks Pinecone's data-plane API under ``http://127.0.0.1:<port>/indexes/<name>``;
:meth:`NeedleServer.create_index` makes an index there and :meth:`NeedleServer.create_store`
returns a :class:`PineconeVectorStore` connected to a fresh one. needledb lets missing fields
match ``$ne``/``$nin``; the adapter's guarded negations make its answers Pinecone's.
Needs the ``needledb`` package (the ``pinecone-testing`` extra).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from travelcore_adapters.pinecone.store import PineconeVectorStore

DEFAULT_API_KEY = "travelcore-test-key"

__all__ = ["DEFAULT_API_KEY", "NeedleServer", "free_port", "needledb_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NeedleServer:
    """``needledb serve`` in a subprocess; :meth:`stop` and :meth:`start` keep the port and
    the data directory, so a test can take the server away and bring it back."""

    def __init__(self, data_dir: Path, *, api_key: str = DEFAULT_API_KEY) -> None:
        self.data_dir = data_dir
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until ``/health`` answers."""
        executable = shutil.which("needledb") or str(Path(sys.executable).parent / "needledb")
        self._process = subprocess.Popen(  # noqa: S603  (a fixed executable and arguments)
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
                self.api_key,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("needledb exited during start-up")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"needledb did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def host(self, index: str) -> str:
        """The data-plane host of ``index``, as ``PineconeVectorStore.connect`` takes it."""
        return f"{self.url}/indexes/{index}"

    def create_index(self, dimension: int, name: str | None = None) -> str:
        """Create a cosine index (a fresh random name unless given); returns its name."""
        from needledb import NeedleDB

        name = name or f"t-{uuid.uuid4().hex[:12]}"
        NeedleDB(self.url, api_key=self.api_key).create_index(
            name, dimension=dimension, metric="cosine"
        )
        return name

    def drop_index(self, name: str) -> None:
        from needledb import NeedleDB

        NeedleDB(self.url, api_key=self.api_key).delete_index(name)

    def store(self, index: str, dimension: int, **options: Any) -> PineconeVectorStore:
        """The adapter on an existing index; ``options`` go to ``PineconeVectorStore.connect``
        (``clock``, ``attempts``, ``failure_threshold``, ``cooldown``, ``timeout``)."""
        return PineconeVectorStore.connect(self.api_key, self.host(index), dimension, **options)

    def create_store(self, dimension: int, **options: Any) -> PineconeVectorStore:
        """The adapter on a new index of its own."""
        return self.store(self.create_index(dimension), dimension, **options)


@contextmanager
def needledb_server(
    data_dir: Path | None = None, *, api_key: str = DEFAULT_API_KEY
) -> Iterator[NeedleServer]:
    """A running needledb server; it stops, and a temporary data directory is removed, on
    exit."""
    with TemporaryDirectory(prefix="travelcore-needledb-") as scratch:
        server = NeedleServer(data_dir or Path(scratch), api_key=api_key)
        server.start()
        try:
            yield server
        finally:
            server.stop()
