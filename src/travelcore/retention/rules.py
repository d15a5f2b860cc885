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


def in_unit_of_work(work: Callable[[RetentionUnitOfWork, Sweep], int]) -> Callable[[Sweep], int]:
    """A purge function that does ``work`` in one unit of work of the sweep's tenant."""

    def purge(sweep: Sweep) -> int:
        with sweep.uow_factory(sweep.tenant_id) as uow:
            count = work(uow, sweep)
            uow.commit()
        return count

    return purge


def _outbox(sweep: Sweep) -> int:
    return 0 if sweep.outbox is None else sweep.outbox.purge(sweep.cutoff)


def _children(sweep: Sweep) -> int:
    """Children whose scheduled erasure day (request + delay) has come; a child another
    run erased meanwhile is not counted."""
    with sweep.uow_factory(sweep.tenant_id) as uow:
        due = uow.erasure.due(sweep.now.date(), sweep.batch)
    erased = 0
    for child in due:
        done = erase_child(
            sweep.uow_factory,
            sweep.tenant_id,
            child,
            stores=sweep.stores,
            steps=sweep.erasure_steps,
        )
        erased += bool(done)
    return erased


RETENTION_RULES: tuple[RetentionRule, ...] = (
    RetentionRule("child_erasure", lambda p: p.child_deletion_delay, _children),
    RetentionRule(
        "search_logs",
        lambda p: p.search_log_retention,
        in_unit_of_work(lambda uow, s: uow.search_logs.purge(s.cutoff)),
    ),
    RetentionRule(
        "inactive_chats",
        lambda p: p.chat_retention,
        in_unit_of_work(lambda uow, s: uow.chats.purge_ended(s.cutoff)),
    ),
    RetentionRule(
        "data_exports",
        lambda p: p.data_export_retention,
        # an export expires at the time it was given when produced: ``now``, not the cut-off
        in_unit_of_work(lambda uow, s: expire_due(uow.data_exports, s.now)),
    ),
    RetentionRule(
        "idempotency_keys",
        lambda p: p.idempotency_retention,
        in_unit_of_work(lambda uow, s: uow.idempotency.purge_before(s.cutoff)),
    ),
    RetentionRule("delivered_outbox", lambda p: p.delivered_outbox_retention, _outbox),
    RetentionRule(
        "audit_log",
        lambda p: p.audit_retention,
        in_unit_of_work(lambda uow, s: uow.audit_log.purge_before(s.cutoff)),
    ),
)
