"""The consent contract, run through ``ConsentService`` over any database, and the helper
the test worlds use to give their children consent to AI personalisation.

The adapter's test module provides ``uow_factory`` (``(TenantId, EventBus | None) -> unit
of work`` with the people, consent and preference repositories), ``clock`` and
``vectors`` (a vector store of dimension 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from travelcore.consent import (
    ConsentKind,
    ConsentNotGiven,
    ConsentRecord,
    ConsentRepository,
    ConsentService,
    ConsentText,
    GrantConsent,
    WithdrawConsent,
    allows_ai_personalisation,
)
from travelcore.discovery.feedback import ChildPreference
from travelcore.kernel import (
    AccessDenied,
    Actor,
    AlreadyExists,
    ManualClock,
    NotFound,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.people import ChildId
from travelcore.testing.builders import a_child, a_corporate, a_parent
from travelcore.testing.repositories import UowFactory
from travelcore.vectors import VectorRecord, namespace_for
from travelcore.vectors.ports import VectorStore

AI = ConsentKind.AI_PERSONALISATION
TEXT = "We use your child's feedback to suggest activities."


def grant_ai_consent(
    consents: ConsentRepository,
    tenant_id: TenantId,
    parent_id: UserId,
    children: Sequence[ChildId],
    at: datetime,
) -> None:
    """Give ``children`` current consent to AI personalisation (publishing the first text
    if the tenant has none)."""
    latest = consents.latest_text(AI)
    if latest is None:
        latest = ConsentText(tenant_id=tenant_id, kind=AI, version=1, text=TEXT, published_at=at)
        consents.add_text(latest)
    for child in children:
        consents.add(
            ConsentRecord(
                id=new_uuid(),
                tenant_id=tenant_id,
                parent_id=parent_id,
                child_id=child,
                kind=AI,
                version=latest.version,
                given=True,
                method="checkbox",
                text=latest.text,
                recorded_at=at,
            )
        )


class ConsentContract:
    @pytest.fixture
    def family(self, uow_factory: UowFactory, tenant: TenantId) -> tuple[Actor, ChildId]:
        with uow_factory(tenant) as uow:
            corporate = a_corporate(tenant)
            uow.corporates.add(corporate)
            parent = a_parent(tenant, corporate)
            uow.users.add(parent)
            child = a_child(tenant, parent)
            uow.children.add(child)
            uow.commit()
        actor = Actor(
            tenant_id=tenant, role=Role.PARENT, user_id=parent.id, corporate_id=corporate.id
        )
        return actor, child.id

    @pytest.fixture
    def tenant(self) -> TenantId:
        return TenantId(new_uuid())

    @pytest.fixture
    def admin(self, tenant: TenantId) -> Actor:
        return Actor(tenant_id=tenant, role=Role.TENANT_ADMIN, user_id=UserId(new_uuid()))

    @pytest.fixture
    def service(
        self, uow_factory: UowFactory, clock: ManualClock, vectors: VectorStore
    ) -> ConsentService:
        return ConsentService(lambda t: uow_factory(t, None), clock, store=vectors)

    def test_a_grant_counts_for_the_latest_text_only(
        self,
        service: ConsentService,
        family: tuple[Actor, ChildId],
        admin: Actor,
        clock: ManualClock,
    ) -> None:
        parent, child = family
        with pytest.raises(NotFound):
            service.grant(GrantConsent(child_id=child, kind=AI), actor=parent)
        assert service.publish_text(AI, TEXT, actor=admin).version == 1
        granted = service.grant(
            GrantConsent(child_id=child, kind=AI, method="signature", ip_address="203.0.113.9"),
            actor=parent,
        )
        assert (granted.version, granted.given, granted.text) == (1, True, TEXT)
        assert service.is_given(child, AI, actor=parent)
        assert not service.is_given(child, ConsentKind.PHOTOS, actor=parent)
        clock.advance(timedelta(days=1))
        assert service.publish_text(AI, TEXT + " And more.", actor=admin).version == 2
        assert not service.is_given(child, AI, actor=parent)
        service.grant(GrantConsent(child_id=child, kind=AI), actor=parent)
        assert service.is_given(child, AI, actor=parent)
        assert [r.version for r in service.history(child, actor=parent)] == [1, 2]

    def test_withdrawal_is_a_record_and_removes_the_preference_vector(
        self,
        service: ConsentService,
        family: tuple[Actor, ChildId],
        admin: Actor,
        uow_factory: UowFactory,
        vectors: VectorStore,
        clock: ManualClock,
    ) -> None:
        parent, child = family
        service.publish_text(AI, TEXT, actor=admin)
        service.grant(GrantConsent(child_id=child, kind=AI), actor=parent)
        namespace = namespace_for(parent.tenant_id, "child_preferences")
        vectors.upsert(namespace, [VectorRecord(str(child), (1.0, 0.0, 0.0, 0.0), {})])
        with uow_factory(parent.tenant_id) as uow:
            uow.child_preferences.save(
                ChildPreference(
                    tenant_id=parent.tenant_id,
                    child_id=child,
                    vector=(1.0, 0.0, 0.0, 0.0),
                    model="m@1",
                    updated_at=clock.now(),
                )
            )
            uow.commit()
        withdrawn = service.withdraw(
            WithdrawConsent(child_id=child, kind=AI, reason="changed my mind"), actor=parent
        )
        assert (withdrawn.given, withdrawn.withdrawal_reason) == (False, "changed my mind")
        assert [r.given for r in service.history(child, actor=parent)] == [True, False]
        with uow_factory(parent.tenant_id) as uow:
            assert uow.child_preferences.get(child) is None
            assert not allows_ai_personalisation(uow.consents, child)
        assert vectors.fetch(namespace, [str(child)]).missing == (str(child),)
        with pytest.raises(ConsentNotGiven):
            service.withdraw(WithdrawConsent(child_id=child, kind=AI), actor=parent)

    def test_only_the_parent_manages_consent_and_only_admins_publish(
        self,
        service: ConsentService,
        family: tuple[Actor, ChildId],
        admin: Actor,
        uow_factory: UowFactory,
    ) -> None:
        parent, child = family
        other = Actor(tenant_id=parent.tenant_id, role=Role.PARENT, user_id=UserId(new_uuid()))
        with pytest.raises(AccessDenied) as refused:
            service.publish_text(AI, TEXT, actor=parent)
        assert refused.value.rule == "consent_texts"
        service.publish_text(AI, TEXT, actor=admin)
        for actor in (other, admin):
            with pytest.raises(AccessDenied) as refused:
                service.grant(GrantConsent(child_id=child, kind=AI), actor=actor)
            assert refused.value.rule == "own_children"
        stranger = Actor(tenant_id=TenantId(new_uuid()), role=Role.PARENT, user_id=parent.user_id)
        with pytest.raises(NotFound):
            service.grant(GrantConsent(child_id=child, kind=AI), actor=stranger)

    def test_bad_input_is_refused_naming_the_field(
        self, service: ConsentService, family: tuple[Actor, ChildId], admin: Actor
    ) -> None:
        parent, child = family
        with pytest.raises(ValidationFailed) as bad:
            service.publish_text(AI, "  ", actor=admin)
        assert bad.value.field == "text"
        service.publish_text(AI, TEXT, actor=admin)
        with pytest.raises(ValidationFailed) as bad:
            service.grant(GrantConsent(child_id=child, kind=AI, user_agent="x" * 501), actor=parent)
        assert bad.value.field == "user_agent"
        with pytest.raises(ValidationFailed) as bad:
            GrantConsent(child_id=child, kind="marketing")
        assert bad.value.field == "kind"

    def test_records_are_only_added(
        self, uow_factory: UowFactory, family: tuple[Actor, ChildId], clock: ManualClock
    ) -> None:
        parent, child = family
        assert parent.user_id is not None
        with uow_factory(parent.tenant_id) as uow:
            grant_ai_consent(uow.consents, parent.tenant_id, parent.user_id, [child], clock.now())
            record = uow.consents.for_child(child)[0]
            uow.commit()
        with uow_factory(parent.tenant_id) as uow, pytest.raises(AlreadyExists):
            uow.consents.add(record)
        with uow_factory(parent.tenant_id) as uow:
            assert uow.consents.for_parent(parent.user_id) == [record]
            assert allows_ai_personalisation(uow.consents, child)
        with uow_factory(TenantId(new_uuid())) as uow:
            assert uow.consents.for_child(child) == []
            assert uow.consents.latest_text(AI) is None
