"""Sample data for development and examples: a bookable session and a family, made through
the public use cases on any :class:`~travelcore_adapters.bootstrap.App`.

.. code-block:: python

    with bootstrap.memory() as app:
        sample = sample_data.seed(app)
        app.booking.book(BookSession(tenant_id=sample.tenant_id, session_id=sample.session_id,
                                     child_id=sample.child_id, parent_id=sample.parent_id,
                                     idempotency_key="first"), actor=sample.parent)

Each call makes a new tenant (or fills the one given) with an approved venue, an activity,
a session a week from the app clock's today, a corporate client, a parent employed by it
and the parent's child, all set up by a platform admin of the tenant. No credits are
allocated: that is the ledger's job. ``admin`` and ``parent`` are the actors to act as.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import attrs

from travelcore.catalog import (
    ActivityCategory,
    ActivityId,
    ApplyVenue,
    ChangeVenueStatus,
    CreateActivity,
    ScheduleSession,
    SessionId,
    VenueAction,
    VenueId,
)
from travelcore.kernel import Actor, TenantId, UserId, new_uuid
from travelcore.people import (
    AddChild,
    ChildId,
    CorporateId,
    RegisterCorporate,
    RegisterUser,
    UserRole,
)
from travelcore_adapters.bootstrap import App

__all__ = ["SampleData", "seed"]


@attrs.frozen(kw_only=True)
class SampleData:
    """The ids of what :func:`seed` made, and the actors of its admin and its parent."""

    tenant_id: TenantId
    venue_id: VenueId
    activity_id: ActivityId
    session_id: SessionId
    corporate_id: CorporateId
    parent_id: UserId
    child_id: ChildId
    admin: Actor
    parent: Actor


def seed(app: App, tenant_id: TenantId | None = None) -> SampleData:
    """Make the sample venue, activity, session and family in ``tenant_id`` (a new tenant
    when not given). The venue "Riverside Pool" is approved; its activity "Swimming" lasts
    60 minutes, costs 5 credits and seats 8; the session starts at 10:00 local time seven
    days after the app clock's today. The corporate "Acme" employs the parent Sam Lee,
    whose child Mia was born on 1 May 2018."""
    tenant = tenant_id or TenantId(new_uuid())
    today = app.clock.now().date()
    admin = Actor.platform_admin(tenant, UserId(new_uuid()))
    venue = app.catalog.apply_venue(
        ApplyVenue(
            tenant_id=tenant,
            name="Riverside Pool",
            slug="riverside",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=today + timedelta(days=365),
        ),
        actor=admin,
    )
    app.catalog.change_venue_status(
        ChangeVenueStatus(tenant_id=tenant, venue_id=venue, action=VenueAction.APPROVE), actor=admin
    )
    activity = app.catalog.create_activity(
        CreateActivity(
            tenant_id=tenant,
            venue_id=venue,
            name="Swimming",
            category=ActivityCategory.SPORTS,
            duration_minutes=60,
            credits_required=5,
            capacity_per_session=8,
        ),
        actor=admin,
    )
    session = app.catalog.schedule_session(
        ScheduleSession(
            tenant_id=tenant,
            activity_id=activity,
            session_date=today + timedelta(days=7),
            start_time=time(10),
        ),
        actor=admin,
    )
    corporate = app.people.register_corporate(
        RegisterCorporate(
            tenant_id=tenant,
            company_name="Acme",
            primary_contact_name="Ada Hale",
            primary_contact_email="hr@acme.test",
            contract_start_date=today,
        ),
        actor=admin,
    )
    parent = app.people.register_user(
        RegisterUser(
            tenant_id=tenant,
            email="sam@acme.test",
            role=UserRole.PARENT,
            first_name="Sam",
            last_name="Lee",
            corporate_id=corporate,
        ),
        actor=admin,
    )
    child = app.people.add_child(
        AddChild(
            tenant_id=tenant, parent_id=parent, first_name="Mia", date_of_birth=date(2018, 5, 1)
        ),
        actor=admin,
    )
    return SampleData(
        tenant_id=tenant,
        venue_id=venue,
        activity_id=activity,
        session_id=session,
        corporate_id=corporate,
        parent_id=parent,
        child_id=child,
        admin=admin,
        parent=Actor.parent(tenant, parent, corporate),
    )
