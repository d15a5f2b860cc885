"""Relays in processes of their own, for the crash test.

``python -m tests.notifications.relay_worker APP_URL LOG_PATH`` imports everything once and
then, for each line ``spawn`` it reads, forks a relay process and prints its pid (so a
relay killed with SIGKILL is replaced in milliseconds, not after a fresh interpreter's
imports). The forks inherit no connection: this parent never opens one.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import timedelta

from tests.notifications.effects import EffectWriter
from travelcore.kernel import SystemClock
from travelcore.outbox import Relay
from travelcore_adapters.postgres import PostgresDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox


def relay(url: str, log_path: str) -> None:
    database = PostgresDatabase(url, pool_size=2)
    Relay(
        database,
        SystemClock(),
        outbox=PostgresOutbox(database.engine),
        consumers=[EffectWriter("worker", log_path)],
        batch_size=50,
    ).run_forever(threading.Event(), poll=timedelta(seconds=0.2))


def main() -> None:
    url, log_path = sys.argv[1], sys.argv[2]
    for line in sys.stdin:
        if line.strip() != "spawn":
            break
        pid = os.fork()
        if pid == 0:
            try:
                relay(url, log_path)
            finally:
                os._exit(1)
        print(pid, flush=True)
        for _ in range(64):  # reap the relays killed so far
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break


if __name__ == "__main__":
    main()
