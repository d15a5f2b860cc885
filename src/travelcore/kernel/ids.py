"""Identifiers shared by every bounded context. Contexts declare their own typed ids beside
their models (``BookingId = NewType("BookingId", UUID)``)."""

from __future__ import annotations

import os
import threading
from typing import NewType
from uuid import UUID

TenantId = NewType("TenantId", UUID)
UserId = NewType("UserId", UUID)

POOLED_IDS = 256
"""How many identifiers' worth of random bytes :func:`new_uuid` reads at once."""


class _RandomBytes(threading.local):
    """Each thread's unread random bytes for identifiers (a forked child starts empty)."""

    def __init__(self) -> None:
        self.data = b""
        self.offset = 0
        self.generation = _forks[0]


_forks = [0]
_pool = _RandomBytes()


def _forked() -> None:
    _forks[0] += 1


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forked)


def new_uuid() -> UUID:
    """A fresh random (version 4) identifier; wrap it in the entity's id type.

    The random bits are the operating system's (``os.urandom``, as ``uuid.uuid4``'s), read
    for :data:`POOLED_IDS` identifiers at a time by each thread: one system call (which
    lets go of the interpreter lock, a cost under many threads) per 256 ids rather than per
    id. A forked child never reuses its parent's unread bytes.
    """
    pool = _pool
    offset = pool.offset
    if offset >= len(pool.data) or pool.generation != _forks[0]:
        pool.data, offset, pool.generation = os.urandom(16 * POOLED_IDS), 0, _forks[0]
    pool.offset = offset + 16
    return UUID(bytes=pool.data[offset : offset + 16], version=4)
