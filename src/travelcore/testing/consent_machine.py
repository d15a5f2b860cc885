"""A stateful test of consent: random publications, grants, withdrawals and clock moves
for two children, checking after every step that the service's answer for every child and
kind is the model's (the latest record for the latest text version decides)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from travelcore.consent import (
    ConsentKind,
    ConsentNotGiven,
    ConsentService,
    GrantConsent,
    WithdrawConsent,
)
from travelcore.kernel import Actor, ManualClock, NotFound, Role, TenantId, UserId, new_uuid
from travelcore.testing.builders import a_child, a_corporate, a_parent

DatabaseFactory = Callable[[], Callable[[TenantId], Any]]
kinds = st.sampled_from(list(ConsentKind))
children = st.integers(min_value=0, max_value=1)


class ConsentMachine(RuleBasedStateMachine):
    """Subclass with ``database_factory`` set (see :func:`consent_machine`)."""

    database_factory: ClassVar[DatabaseFactory]

    def __init__(self) -> None:
        super().__init__()
        database = type(self).database_factory()
        self.tenant = TenantId(new_uuid())
        self.clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        self.service = ConsentService(database, self.clock)
        with database(self.tenant) as uow:
            corporate = a_corporate(self.tenant)
            uow.corporates.add(corporate)
            parent = a_parent(self.tenant, corporate)
            uow.users.add(parent)
            kids = [a_child(self.tenant, parent), a_child(self.tenant, parent)]
            for kid in kids:
                uow.children.add(kid)
            uow.commit()
        self.parent = Actor(tenant_id=self.tenant, role=Role.PARENT, user_id=parent.id)
        self.admin = Actor(
            tenant_id=self.tenant, role=Role.TENANT_ADMIN, user_id=UserId(new_uuid())
        )
        self.children = [k.id for k in kids]
        self.latest: dict[ConsentKind, int] = {}
        self.records: dict[tuple[int, ConsentKind], list[tuple[int, bool]]] = {}

    def _given(self, child: int, kind: ConsentKind) -> bool:
        version = self.latest.get(kind)
        current = [g for v, g in self.records.get((child, kind), []) if v == version]
        return bool(current) and current[-1]

    @rule(kind=kinds)
    def publish(self, kind: ConsentKind) -> None:
        text = self.service.publish_text(kind, f"{kind} text", actor=self.admin)
        self.latest[kind] = self.latest.get(kind, 0) + 1
        assert text.version == self.latest[kind]

    @rule(child=children, kind=kinds)
    def grant(self, child: int, kind: ConsentKind) -> None:
        cmd = GrantConsent(child_id=self.children[child], kind=kind)
        if kind not in self.latest:
            try:
                self.service.grant(cmd, actor=self.parent)
            except NotFound:
                return
            raise AssertionError("a grant without a text")
        self.service.grant(cmd, actor=self.parent)
        self.records.setdefault((child, kind), []).append((self.latest[kind], True))

    @rule(child=children, kind=kinds)
    def withdraw(self, child: int, kind: ConsentKind) -> None:
        cmd = WithdrawConsent(child_id=self.children[child], kind=kind)
        if not self._given(child, kind):
            try:
                self.service.withdraw(cmd, actor=self.parent)
            except ConsentNotGiven:
                return
            raise AssertionError("a withdrawal without a current grant")
        self.service.withdraw(cmd, actor=self.parent)
        self.records[(child, kind)].append((self.latest[kind], False))

    @rule(minutes=st.sampled_from([0, 0, 1, 60]))
    def tick(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @invariant()
    def answers_match_the_model(self) -> None:
        for child, child_id in enumerate(self.children):
            for kind in ConsentKind:
                given = self.service.is_given(child_id, kind, actor=self.parent)
                assert given == self._given(child, kind), (child, kind)


def consent_machine(database_factory: DatabaseFactory) -> type[ConsentMachine]:
    """A :class:`ConsentMachine` running on the back end ``database_factory`` makes."""
    return type(
        "ConsentMachineOn", (ConsentMachine,), {"database_factory": staticmethod(database_factory)}
    )
