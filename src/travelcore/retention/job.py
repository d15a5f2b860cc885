"""The one purge job and the parent's request to erase a child."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    PolicyProvider,
    Role,
    StaticPolicies,
    TenantId,
    checked_clock,
)
from travelcore.outbox.ports import OutboxStore
from travelcore.people.model import ChildId
from travelcore.retention.erasure import ERASURE_STEPS, ErasureStep
from travelcore.retention.ports import RetentionUnitOfWork
from travelcore.retention.rules import RETENTION_RULES, RetentionRule, Sweep
from travelcore.vectors.ports import VectorStore


class RetentionJob:
    """Runs every rule for one tenant as the system actor; safe to rerun at any time (a
    rule finds only what is still due). ``stores``: every vector store that may hold a
    child's preference vector or a parent's long-term memory. ``outbox``: the relay's
    store (its purge spans tenants)."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], RetentionUnitOfWork],
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
        stores: Sequence[VectorStore] = (),
        outbox: OutboxStore | None = None,
        rules: Sequence[RetentionRule] = RETENTION_RULES,
        erasure_steps: Sequence[tuple[str, ErasureStep]] = ERASURE_STEPS,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()
        self._stores = tuple(stores)
        self._outbox = outbox
        self._rules = tuple(rules)
        self._steps = tuple(erasure_steps)

    def run(self, *, actor: Actor) -> dict[str, int]:
        """How many records each rule purged."""
        if not actor.is_system:
            raise AccessDenied("the retention job runs as the system", rule="system_job")
        policy = self._policies.policy_for(actor.tenant_id)
        purged = {}
        for rule in self._rules:
            now = self._clock.now()
            sweep = Sweep(
                tenant_id=actor.tenant_id,
                now=now,
                cutoff=now - rule.retention(policy),
                uow_factory=self._uow,
                stores=self._stores,
                outbox=self._outbox,
                erasure_steps=self._steps,
            )
            purged[rule.name] = rule.purge(sweep)
        return purged


class ChildDeletion:
    """A parent asks for a child's erasure; it happens ``child_deletion_delay`` later."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], RetentionUnitOfWork],
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    def request(self, child_id: ChildId, *, actor: Actor) -> date:
        """The day the erasure is scheduled for (a repeated request keeps it)."""
        if actor.role is not Role.PARENT or actor.user_id is None:
            raise AccessDenied("a parent asks to erase their own child", rule="own_children")
        delay = self._policies.policy_for(actor.tenant_id).child_deletion_delay
        with self._uow(actor.tenant_id) as uow:
            child = uow.children.get_for_update(child_id)
            if child.parent_id != actor.user_id:
                raise AccessDenied("a parent asks to erase their own child", rule="own_children")
            child.request_deletion(self._clock.now(), delay)
            uow.children.save(child)
            uow.commit()
        assert child.deletion_scheduled_for is not None
        return child.deletion_scheduled_for
