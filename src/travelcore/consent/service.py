"""Consent use cases: publish a text version, grant, withdraw, read; and the check the
discovery context makes before it builds a preference vector or suggestions."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from travelcore.consent.model import (
    ConsentKind,
    ConsentMethod,
    ConsentRecord,
    ConsentText,
    consent_kind,
    consent_method,
    current,
    is_given,
)
from travelcore.consent.ports import ConsentRepository, ConsentUnitOfWork
from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    NotFound,
    Role,
    RuleViolation,
    TenantId,
    checked_clock,
    new_uuid,
)
from travelcore.people.model import Child, ChildId
from travelcore.vectors.ports import VectorStore
from travelcore.vectors.records import namespace_for

TEXT_PUBLISHERS = frozenset({Role.PLATFORM_ADMIN, Role.TENANT_ADMIN})


class ConsentNotGiven(RuleViolation):
    """There is no current grant to withdraw."""

    code = "consent_not_given"


@attrs.frozen(kw_only=True)
class GrantConsent:
    child_id: ChildId
    kind: ConsentKind = attrs.field(converter=consent_kind)
    method: ConsentMethod = attrs.field(converter=consent_method, default=ConsentMethod.CHECKBOX)
    ip_address: str | None = None
    user_agent: str | None = None


@attrs.frozen(kw_only=True)
class WithdrawConsent:
    child_id: ChildId
    kind: ConsentKind = attrs.field(converter=consent_kind)
    reason: str | None = None
    method: ConsentMethod = attrs.field(converter=consent_method, default=ConsentMethod.CHECKBOX)


def allows_ai_personalisation(consents: ConsentRepository, child_id: ChildId) -> bool:
    """Whether the child has current consent to AI personalisation."""
    kind = ConsentKind.AI_PERSONALISATION
    return is_given(consents.for_child(child_id), kind, consents.latest_text(kind))


class ConsentService:
    """Withdrawing AI personalisation deletes the child's preference vector: the stored one
    in the same transaction, the vector store's copy (``store``) after the commit."""

    def __init__(
        self,
        uow_factory: Callable[[TenantId], ConsentUnitOfWork],
        clock: Clock,
        *,
        store: VectorStore | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._store = store

    def publish_text(self, kind: ConsentKind, text: str, *, actor: Actor) -> ConsentText:
        """The next version of ``kind``'s text; earlier grants stop counting (see
        :mod:`travelcore.consent.model`)."""
        if actor.role not in TEXT_PUBLISHERS:
            raise AccessDenied("only an admin publishes consent texts", rule="consent_texts")
        kind = consent_kind(kind)
        with self._uow(actor.tenant_id) as uow:
            latest = uow.consents.latest_text(kind)
            published = ConsentText(
                tenant_id=actor.tenant_id,
                kind=kind,
                version=1 if latest is None else latest.version + 1,
                text=text,
                published_at=self._clock.now(),
            )
            uow.consents.add_text(published)
            uow.commit()
        return published

    def latest_text(self, kind: ConsentKind, *, actor: Actor) -> ConsentText | None:
        with self._uow(actor.tenant_id) as uow:
            return uow.consents.latest_text(consent_kind(kind))

    def grant(self, cmd: GrantConsent, *, actor: Actor) -> ConsentRecord:
        """A grant of the latest text of ``cmd.kind`` (``NotFound`` while there is none)."""
        with self._uow(actor.tenant_id) as uow:
            child = _own_child(uow, cmd.child_id, actor)
            latest = uow.consents.latest_text(cmd.kind)
            if latest is None:
                raise NotFound("consent_text", cmd.kind)
            record = self._record(uow, child, cmd.kind, latest, given=True, method=cmd.method)
            record = attrs.evolve(record, ip_address=cmd.ip_address, user_agent=cmd.user_agent)
            uow.consents.add(record)
            uow.commit()
        return record

    def withdraw(self, cmd: WithdrawConsent, *, actor: Actor) -> ConsentRecord:
        """A withdrawal of the current grant (``ConsentNotGiven`` if there is none)."""
        with self._uow(actor.tenant_id) as uow:
            child = _own_child(uow, cmd.child_id, actor)
            latest = uow.consents.latest_text(cmd.kind)
            now_current = current(uow.consents.for_child(child.id), cmd.kind, latest)
            if latest is None or now_current is None or not now_current.given:
                raise ConsentNotGiven(f"no current {cmd.kind} consent to withdraw")
            record = attrs.evolve(
                self._record(uow, child, cmd.kind, latest, given=False, method=cmd.method),
                withdrawal_reason=cmd.reason,
            )
            uow.consents.add(record)
            if cmd.kind is ConsentKind.AI_PERSONALISATION:
                uow.child_preferences.remove(child.id)
            uow.commit()
        if cmd.kind is ConsentKind.AI_PERSONALISATION and self._store is not None:
            namespace = namespace_for(actor.tenant_id, "child_preferences")
            self._store.delete(namespace, ids=[str(child.id)])
        return record

    def is_given(self, child_id: ChildId, kind: ConsentKind, *, actor: Actor) -> bool:
        with self._uow(actor.tenant_id) as uow:
            _own_child(uow, child_id, actor)
            kind = consent_kind(kind)
            return is_given(uow.consents.for_child(child_id), kind, uow.consents.latest_text(kind))

    def history(self, child_id: ChildId, *, actor: Actor) -> list[ConsentRecord]:
        with self._uow(actor.tenant_id) as uow:
            _own_child(uow, child_id, actor)
            return uow.consents.for_child(child_id)

    def _record(
        self,
        uow: ConsentUnitOfWork,
        child: Child,
        kind: ConsentKind,
        text: ConsentText,
        *,
        given: bool,
        method: ConsentMethod,
    ) -> ConsentRecord:
        return ConsentRecord(
            id=new_uuid(),
            tenant_id=child.tenant_id,
            parent_id=child.parent_id,
            child_id=child.id,
            kind=kind,
            version=text.version,
            given=given,
            method=method,
            text=text.text,
            recorded_at=self._clock.now(),
            sequence=len(uow.consents.for_child(child.id)),
        )


def _own_child(uow: ConsentUnitOfWork, child_id: ChildId, actor: Actor) -> Child:
    """The child, if ``actor`` is its parent (``AccessDenied`` otherwise, ``NotFound`` for
    a child of no one in the tenant)."""
    if actor.role is not Role.PARENT or actor.user_id is None:
        raise AccessDenied("only the child's parent manages consent", rule="own_children")
    child = uow.children.get(child_id)
    if child.parent_id != actor.user_id:
        raise AccessDenied("only the child's parent manages consent", rule="own_children")
    return child
