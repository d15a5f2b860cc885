"""Reference adapters: dict-backed, lock-guarded, raising the same errors as the real ones."""

from travelcore_adapters.memory.notifiers import MemoryNotifier
from travelcore_adapters.memory.outbox import MemoryOutbox
from travelcore_adapters.memory.store import MemoryStore, MemoryTransaction
from travelcore_adapters.memory.uow import MemoryDatabase, MemoryUnitOfWork

__all__ = [
    "MemoryDatabase",
    "MemoryNotifier",
    "MemoryOutbox",
    "MemoryStore",
    "MemoryTransaction",
    "MemoryUnitOfWork",
]
