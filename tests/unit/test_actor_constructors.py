"""The named constructors of ``Actor`` build the actor each role's rules expect: the
constructed actor is the one spelled out field by field, and ``permit`` lets it act on its
own targets and refuses it elsewhere."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.kernel import AccessDenied, Actor, Role, TenantId, UserId, permit

uuids = st.uuids(version=4)


@given(tenant=uuids, user=uuids, bound=uuids)
def test_each_constructor_spells_out_its_role(tenant: UUID, user: UUID, bound: UUID) -> None:
    t, u = TenantId(tenant), UserId(user)
    expected = {
        Actor.platform_admin(t, u): Actor(tenant_id=t, role=Role.PLATFORM_ADMIN, user_id=u),
        Actor.tenant_admin(t, u): Actor(tenant_id=t, role=Role.TENANT_ADMIN, user_id=u),
        Actor.parent(t, u, bound): Actor(
            tenant_id=t, role=Role.PARENT, user_id=u, corporate_id=bound
        ),
        Actor.hr_admin(t, u, bound): Actor(
            tenant_id=t, role=Role.HR_ADMIN, user_id=u, corporate_id=bound
        ),
        Actor.venue_admin(t, u, bound): Actor(
            tenant_id=t, role=Role.VENUE_ADMIN, user_id=u, venue_id=bound
        ),
        Actor.traveller(t, u): Actor(tenant_id=t, role=Role.TRAVELLER, user_id=u),
    }
    for built, spelled in expected.items():
        assert built == spelled
        assert built.scopes is None
        assert built.label == f"user:{u}"


@given(tenant=uuids, user=uuids, bound=uuids, other=uuids)
def test_each_acts_on_its_own_only(tenant: UUID, user: UUID, bound: UUID, other: UUID) -> None:
    t, u = TenantId(tenant), UserId(user)
    own = {
        Actor.parent(t, u, bound): {"parent": u},
        Actor.traveller(t, u): {"traveller": u},
        Actor.hr_admin(t, u, bound): {"corporate": bound},
        Actor.venue_admin(t, u, bound): {"venue": bound},
    }
    for actor, target in own.items():
        permit(actor, "any", **target)
        if other not in target.values():
            with pytest.raises(AccessDenied):
                permit(actor, "any", **dict.fromkeys(target, other))
    for admin in (Actor.platform_admin(t, u), Actor.tenant_admin(t, u)):
        permit(admin, "any", parent=other)
