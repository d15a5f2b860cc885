"""A family books a class, the class fills, the waitlist moves up, the venue cancels and
every credit comes back: ``python -m examples.demo``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from examples.demo.backends import OpenApp
from travelcore.booking import (
    BookGroup,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    ConfirmBooking,
    JoinWaitlist,
    RespondToOffer,
)
from travelcore.catalog import (
    ActivityCategory,
    ApplyVenue,
    ChangeVenueStatus,
    CreateActivity,
    ScheduleSession,
)
from travelcore.kernel import Actor, EventBus, ManualClock, TenantId, UserId, new_uuid
from travelcore.ledger import AllocateCredits
from travelcore.notifications import (
    Channel,
    InAppChannel,
    NotificationRules,
    NotificationService,
    NotificationStatus,
)
from travelcore.outbox import OutboxStore, Relay
from travelcore.people import (
    AddChild,
    ChildId,
    RegisterCorporate,
    RegisterUser,
    UserRole,
)
from travelcore_adapters import bootstrap
from travelcore_adapters.memory import MemoryDatabase, MemoryNotifier, MemoryUnitOfWork
from travelcore_adapters.notifications import JinjaRenderer

if TYPE_CHECKING:
    from travelcore_adapters.postgres import PostgresUnitOfWork

TENANT = TenantId(new_uuid())


def run(open_app: OpenApp = bootstrap.memory) -> None:
    print("== A family books, the class fills, the waitlist moves, the venue cancels ==")
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    bus = EventBus()
    app = open_app(clock=clock, events=bus)
    people, catalog, ledger = app.people, app.catalog, app.ledger
    bookings, waitlist = app.booking, app.waitlist
    keys = iter(range(1, 1000))
    # the platform's operator, allowed everything in the tenant
    staff = Actor.platform_admin(TENANT, UserId(new_uuid()))

    def key() -> str:
        return f"demo-{next(keys)}"

    corporate = people.register_corporate(
        RegisterCorporate(
            tenant_id=TENANT,
            company_name="Acme",
            primary_contact_name="Hana",
            primary_contact_email="hr@acme.example",
            contract_start_date=date(2026, 1, 1),
            idempotency_key=key(),
        ),
        actor=staff,
    )

    def family(name: str, credits: int, *kids: tuple[str, date]) -> tuple[UserId, list[ChildId]]:
        parent = people.register_user(
            RegisterUser(
                tenant_id=TENANT,
                email=f"{name.lower()}@acme.example",
                role=UserRole.PARENT,
                first_name=name,
                last_name="Example",
                corporate_id=corporate,
                idempotency_key=key(),
            ),
            actor=staff,
        )
        ledger.allocate_credits(
            AllocateCredits(
                tenant_id=TENANT,
                user_id=parent,
                day=clock.now().date(),
                credits=credits,
                idempotency_key=key(),
            ),
            actor=staff,
        )
        children = [
            people.add_child(
                AddChild(
                    tenant_id=TENANT,
                    parent_id=parent,
                    first_name=kid,
                    date_of_birth=born,
                    parental_consent=True,
                    idempotency_key=key(),
                ),
                actor=staff,
            )
            for kid, born in kids
        ]
        return parent, children

    def as_parent(parent: UserId) -> Actor:
        """A parent acts on their own family: books, cancels, reads their balance."""
        return Actor.parent(TENANT, parent, corporate)

    def credits(parent: UserId) -> str:
        view = ledger.balance_for(TENANT, parent, clock.now().date(), actor=as_parent(parent))
        assert view is not None
        return f"{view.available} available, {view.used} spent, {view.refunded} refunded"

    venue = catalog.apply_venue(
        ApplyVenue(
            tenant_id=TENANT,
            name="Robot Lab",
            slug="robot-lab",
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=date(2027, 1, 1),
            idempotency_key=key(),
        ),
        actor=staff,
    )
    catalog.change_venue_status(
        ChangeVenueStatus(
            tenant_id=TENANT, venue_id=venue, action="approve", idempotency_key=key()
        ),
        actor=staff,
    )
    activity = catalog.create_activity(
        CreateActivity(
            tenant_id=TENANT,
            venue_id=venue,
            name="Build a robot",
            category=ActivityCategory.STEM,
            min_age=6,
            max_age=12,
            duration_minutes=90,
            credits_required=5,
            capacity_per_session=3,
            idempotency_key=key(),
        ),
        actor=staff,
    )
    session = catalog.schedule_session(
        ScheduleSession(
            tenant_id=TENANT,
            activity_id=activity,
            session_date=date(2026, 3, 14),
            start_time=time(10),
            end_time=time(11, 30),
            idempotency_key=key(),
        ),
        actor=staff,
    )
    host = Actor.venue_admin(TENANT, UserId(new_uuid()), venue)  # the venue's own admin
    print("Robot Lab is approved; 'Build a robot' on Sat 14 March 10:00 (New York), 3 seats.")

    garcia, [ana, leo] = family("Garcia", 20, ("Ana", date(2016, 4, 2)), ("Leo", date(2018, 9, 9)))
    kim, [jun] = family("Kim", 10, ("Jun", date(2017, 1, 20)))
    patel, [ria] = family("Patel", 10, ("Ria", date(2015, 11, 5)))

    group = bookings.book_group(
        BookGroup(
            tenant_id=TENANT,
            session_id=session,
            child_ids=(ana, leo),
            parent_id=garcia,
            idempotency_key=key(),
        ),
        actor=as_parent(garcia),
    )
    for receipt in group.bookings:
        bookings.confirm(
            ConfirmBooking(tenant_id=TENANT, booking_id=receipt.booking_id, idempotency_key=key()),
            actor=as_parent(garcia),
        )
    codes = ", ".join(r.confirmation_code for r in group.bookings)
    print(f"Garcias book Ana and Leo together ({codes}); credits: {credits(garcia)}")
    jun_booking = bookings.book(
        BookSession(
            tenant_id=TENANT, session_id=session, child_id=jun, parent_id=kim, idempotency_key=key()
        ),
        actor=as_parent(kim),
    )
    print(f"Kims book Jun ({jun_booking.confirmation_code}): the class is full.")
    entry = waitlist.join(
        JoinWaitlist(
            tenant_id=TENANT,
            session_id=session,
            child_id=ria,
            parent_id=patel,
            idempotency_key=key(),
        ),
        actor=as_parent(patel),
    )
    print(f"Patels put Ria on the waitlist at position {entry.position}.")

    clock.advance(timedelta(days=2))
    cancelled = bookings.cancel(
        CancelBooking(
            tenant_id=TENANT,
            booking_id=jun_booking.booking_id,
            reason=CancellationReason.CHILD_SICK,
            idempotency_key=key(),
        ),
        actor=as_parent(kim),
    )
    print(
        f"Jun is sick; the Kims cancel 10 days ahead: refund eligible "
        f"{cancelled.refund_eligible}; credits: {credits(kim)}"
    )
    [offer] = [e for e in waitlist.entries(TENANT, session, actor=host) if e.id == entry.entry_id]
    print(f"Ria is offered the seat until {offer.spot_expires_at:%a %d %b %H:%M} UTC.")
    clock.advance(timedelta(hours=1))
    ria_booking = waitlist.accept(
        RespondToOffer(tenant_id=TENANT, entry_id=entry.entry_id, idempotency_key=key()),
        actor=as_parent(patel),
    )
    bookings.confirm(
        ConfirmBooking(tenant_id=TENANT, booking_id=ria_booking.booking_id, idempotency_key=key()),
        actor=as_parent(patel),
    )
    print(f"Ria accepts ({ria_booking.confirmation_code}); credits: {credits(patel)}")

    clock.advance(timedelta(days=5))
    result = bookings.cancel_session(
        CancelSession(
            tenant_id=TENANT, session_id=session, reason="flooded workshop", idempotency_key=key()
        ),
        actor=host,
    )
    print(
        f"The venue cancels the class: {len(result.cancelled_bookings)} bookings cancelled, "
        f"{result.credits_refunded} credits refunded."
    )
    for name, parent in (("Garcia", garcia), ("Kim", kim), ("Patel", patel)):
        print(f"  {name}: {credits(parent)}")
    print(f"{len(bus.published)} domain events were published for notifications and audit.")

    # the relay delivers the committed events from the outbox to the notification rules;
    # the delivery job sends what is due (email here on a memory channel, and in-app)
    email = MemoryNotifier(Channel.EMAIL)
    notify = NotificationService(
        app.database, clock, renderer=JinjaRenderer(), notifiers=[email, InAppChannel()]
    )
    rules = NotificationRules(notify, app.policies)
    relay: Relay[MemoryUnitOfWork | PostgresUnitOfWork] = Relay(
        app.database, clock, outbox=outbox(app), consumers=[rules]
    )
    relay.drain()
    notify.deliver_due(TENANT, limit=1000, actor=Actor.system(TENANT, "notifications"))
    print("Notifications each parent received (email; the same arrived in-app):")
    for name, parent in (("Garcia", garcia), ("Kim", kim), ("Patel", patel)):
        sent = sorted(
            (
                n
                for n in notify.history(TENANT, parent, actor=as_parent(parent))
                if n.channel is Channel.EMAIL and n.status is NotificationStatus.SENT
            ),
            key=lambda n: (n.created_at, n.title),
        )
        titles = "; ".join(n.title for n in sent) or "nothing (they cancelled themselves)"
        print(
            f"  {name} ({notify.unread_count(TENANT, parent, actor=as_parent(parent))} unread "
            f"in the app): {titles}"
        )


def outbox(app: bootstrap.App) -> OutboxStore:
    """The outbox of the app's database (memory, or PostgreSQL)."""
    if isinstance(app.database, MemoryDatabase):
        return app.database.outbox
    from travelcore_adapters.postgres.outbox import PostgresOutbox

    return PostgresOutbox(app.database.engine)
