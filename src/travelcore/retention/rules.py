"""Every retention rule of DOMAIN.md section 9 in one table: a name, how long records are
kept (a policy parameter) and the function that purges what is older. Another context adds
its rule with one line in :data:`RETENTION_RULES`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from travelcore.export.service import expire_due
from travelcore.kernel import Policy, TenantId
from travelcore.outbox.ports import OutboxStore
from travelcore.retention.erasure import ERASURE_STEPS, ErasureStep, erase_child
from travelcore.retention.ports import RetentionUnitOfWork
from travelcore.vectors.ports import VectorStore


@attrs.frozen(kw_only=True)
class Sweep:
    """What a purge function works with: one tenant, the time and the cut-off."""

    tenant_id: TenantId
    now: datetime
    cutoff: datetime
    uow_factory: Callable[[TenantId], RetentionUnitOfWork]
    stores: Sequence[VectorStore] = ()
    outbox: OutboxStore | None = None
    erasure_steps: Sequence[tuple[str, ErasureStep]] = ERASURE_STEPS
    batch: int = 100


@attrs.frozen
class RetentionRule:
    name: str
    retention: Callable[[Policy], timedelta]
    purge: Callable[[Sweep], int]
    """Purges what is older than ``sweep.cutoff`` (``now - retention``); how many went."""


def _in_uow(work: Callable[[RetentionUnitOfWork], int]) -> Callable[[Sweep], int]:
    def purge(sweep: Sweep) -> int:
        with sweep.uow_factory(sweep.tenant_id) as uow:
            count = work(uow)
            uow.commit()
        return count

    return purge


def _search_logs(sweep: Sweep) -> int:
    return _in_uow(lambda uow: uow.search_logs.purge(sweep.cutoff))(sweep)


def _chats(sweep: Sweep) -> int:
    return _in_uow(lambda uow: uow.chats.purge_ended(sweep.cutoff))(sweep)


def _idempotency(sweep: Sweep) -> int:
    return _in_uow(lambda uow: uow.idempotency.purge_before(sweep.cutoff))(sweep)


def _exports(sweep: Sweep) -> int:
    """Exports expire at the time they were given when produced (``now``, not cut-off)."""
    return _in_uow(lambda uow: expire_due(uow.data_exports, sweep.now))(sweep)


def _outbox(sweep: Sweep) -> int:
    return 0 if sweep.outbox is None else sweep.outbox.purge(sweep.cutoff)


def _children(sweep: Sweep) -> int:
    """Children whose scheduled erasure day (request + delay) has come."""
    with sweep.uow_factory(sweep.tenant_id) as uow:
        due = uow.erasure.due(sweep.now.date(), sweep.batch)
    for child in due:
        erase_child(
            sweep.uow_factory,
            sweep.tenant_id,
            child,
            stores=sweep.stores,
            steps=sweep.erasure_steps,
        )
    return len(due)


RETENTION_RULES: tuple[RetentionRule, ...] = (
    RetentionRule("child_erasure", lambda p: p.child_deletion_delay, _children),
    RetentionRule("search_logs", lambda p: p.search_log_retention, _search_logs),
    RetentionRule("inactive_chats", lambda p: p.chat_retention, _chats),
    RetentionRule("data_exports", lambda p: p.data_export_retention, _exports),
    RetentionRule("idempotency_keys", lambda p: p.idempotency_retention, _idempotency),
    RetentionRule("delivered_outbox", lambda p: p.delivered_outbox_retention, _outbox),
)
