"""``new_uuid``: random version-4 identifiers from the operating system's random bytes,
read for many ids at a time by each thread."""

from __future__ import annotations

import os
import sys
import threading
import uuid

import pytest

from travelcore.kernel import new_uuid
from travelcore.kernel.ids import POOLED_IDS


def test_ids_are_version_4_of_the_rfc_variant() -> None:
    for _ in range(3 * POOLED_IDS):
        made = new_uuid()
        assert made.version == 4
        assert made.variant == uuid.RFC_4122


def test_ids_do_not_repeat_within_or_across_threads() -> None:
    made: list[list[uuid.UUID]] = [[] for _ in range(8)]

    def make(into: list[uuid.UUID]) -> None:
        into.extend(new_uuid() for _ in range(2 * POOLED_IDS + 7))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [made_id for ids in made for made_id in ids]
    assert len(set(everything)) == len(everything) == 8 * (2 * POOLED_IDS + 7)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform cannot fork")
def test_a_forked_child_does_not_reuse_its_parents_unread_random_bytes() -> None:
    """The pool is full when the process forks; without the reset both processes would
    draw the same next ids from their copies of it."""
    new_uuid()  # the pool now holds unread bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, b"".join(new_uuid().bytes for _ in range(4)))
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    parent = b"".join(new_uuid().bytes for _ in range(4))
    assert len(child) == 64
    child_ids = {child[i : i + 16] for i in range(0, 64, 16)}
    assert child_ids.isdisjoint(parent[i : i + 16] for i in range(0, 64, 16))


def test_negative_control_a_copy_of_the_pool_repeats_ids_until_the_fork_reset() -> None:
    """What a fork copies (the unread bytes) gives the same next id again; the reset the
    fork hook makes (a new generation) is what draws fresh bytes instead."""
    ids = sys.modules["travelcore.kernel.ids"]
    new_uuid()
    copied = (ids._pool.data, ids._pool.offset)
    first = new_uuid()
    ids._pool.data, ids._pool.offset = copied
    assert new_uuid() == first
    ids._pool.data, ids._pool.offset = copied
    ids._forked()
    assert new_uuid() != first
