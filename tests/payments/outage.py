"""A TCP proxy in front of a provider's server, to take the provider away mid-payment.

``down()``: every connection is cut and new ones are closed at once (the provider is
unreachable). ``lose_replies()``: requests still reach the provider, which acts on them, but
its replies are dropped and the connection is cut (the caller cannot tell what happened).
``up()``: traffic flows again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from enum import StrEnum


class Mode(StrEnum):
    UP = "up"
    DOWN = "down"
    LOSE_REPLIES = "lose_replies"


class Outage:
    def __init__(self, target: str) -> None:
        host, _, port = target.removeprefix("http://").partition(":")
        self._target = (host, int(port))
        self.mode = Mode.UP
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def up(self) -> None:
        self.mode = Mode.UP

    def down(self) -> None:
        self.mode = Mode.DOWN
        self._cut_all()

    def lose_replies(self) -> None:
        self.mode = Mode.LOSE_REPLIES

    def close(self) -> None:
        self._listener.close()
        self._cut_all()

    def _cut_all(self) -> None:
        with self._lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode is Mode.DOWN:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, replies: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if self.mode is Mode.DOWN or (replies and self.mode is Mode.LOSE_REPLIES):
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
