"""Every use case of the booking, ledger, catalog and travel contexts leaves exactly one
audit entry per change, on memory and PostgreSQL.

One scripted story runs each command and job of those services once, so that it changes
something. On memory, each step's new entries must name exactly the rows the step added,
changed or removed (compared with the store's tables before and after). On PostgreSQL the
same story runs alongside the memory one, and each step must leave entries of the same
entities, actions and changed fields as on memory. A use case added to one of the services
without a step here fails :func:`test_the_story_runs_every_use_case`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tests.adapters.test_audit_every_change import (
    audited_tables,
    audits_alike,
    entries_of_step,
    public_commands,
)
from travelcore.booking import (
    BookAgain,
    BookGroup,
    BookingService,
    BookSession,
    CancelBooking,
    CancellationReason,
    CancelSession,
    CompensateActivityChange,
    CompleteSession,
    ConfirmBooking,
    GrantPartialRefund,
    JoinWaitlist,
    LeaveWaitlist,
    MarkAttendance,
    PromoteWaitlist,
    RespondToOffer,
    WaitlistService,
)
from travelcore.catalog import (
    ActivityCategory,
    ApplyVenue,
    CatalogService,
    ChangeVenueStatus,
    CreateActivity,
    CreateSchedule,
    GenerateSessions,
    ScheduleSession,
    UpdateInsurance,
    VenueAction,
)
from travelcore.kernel import ManualClock, Money, TenantId, new_uuid
from travelcore.ledger import (
    Adjust,
    AllocateCredits,
    AllocatePeriodCredits,
    CaptureHold,
    CreateSubscription,
    Debit,
    Forfeit,
    LedgerService,
    PlaceHold,
    Refund,
    Reverse,
    SubscriptionTier,
    VoidHold,
)
from travelcore.people import PeopleService, RegisterCorporate, RegisterUser, UserRole
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.travel import (
    AddItineraryDay,
    BookTrip,
    ChangeTrip,
    DraftItinerary,
    ItineraryDay,
    LineItem,
    PolicyKey,
    RegisterTenant,
    RemovePolicyRule,
    SendDueReminders,
    SetPolicyRule,
    SetTravelPreferences,
    TravelService,
)
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.postgres import PostgresDatabase

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SERVICES = {
    "bookings": BookingService,
    "waitlist": WaitlistService,
    "ledger": LedgerService,
    "catalog": CatalogService,
    "travel": TravelService,
}
QUERIES = {
    "bookings": {"find_by_code", "for_session", "get"},
    "waitlist": {"entries"},
    "ledger": {"balance", "balance_for", "subscription"},
    "catalog": {"activity", "session", "sessions", "venue"},
    "travel": {
        "check_plan",
        "due_reminders",
        "history",
        "itineraries",
        "itinerary",
        "policy_rules",
        "preferences",
        "spend",
        "trip",
        "trips",
    },
}


JOBS = {
    "expire_holds",
    "close_periods",
    "send_expiry_warnings",
    "purge_idempotency_keys",
    "release_inventory",
    "expire_offers",
}


class Acting:
    """A service whose calls run as a platform admin, its jobs as the system."""

    def __init__(self, service: Any, tenant: TenantId) -> None:
        self._service, self._tenant = service, tenant

    def __getattr__(self, name: str) -> Any:
        actor = job(self._tenant) if name in JOBS else admin(self._tenant)
        return functools.partial(getattr(self._service, name), actor=actor)


class Story:
    """The use cases in an order in which each one changes something."""

    def __init__(self, database: Any) -> None:
        self.clock = ManualClock(T0)
        self.world = World(database, self.clock)
        self.t = self.world.tenant
        services = {
            "bookings": self.world.bookings,
            "waitlist": self.world.waitlist,
            "ledger": self.world.ledger,
            "catalog": self.world.catalog,
            "travel": TravelService(database, self.clock),
        }
        self.s: dict[str, Any] = {
            name: Acting(service, self.t) for name, service in services.items()
        }
        self.people = Acting(PeopleService(database, self.clock), self.t)
        self.ids: dict[str, Any] = {}
        self.parent, self.kids = self.world.family(
            credits=100, born=(date(2018, 5, 1), date(2019, 5, 1), date(2017, 5, 1))
        )

    def k(self) -> str:
        return self.world.key()

    def steps(self) -> list[tuple[str, Callable[[], Any]]]:
        t, ids, s = self.t, self.ids, self.s
        day = T0.date()

        def keep(name: str, value: Any) -> Any:
            ids[name] = value
            return value

        def book(session: str, child: int, name: str) -> Any:
            cmd = BookSession(
                tenant_id=t,
                session_id=ids[session],
                child_id=self.kids[child],
                parent_id=self.parent,
                idempotency_key=self.k(),
            )
            return keep(name, s["bookings"].book(cmd).booking_id)

        def confirm(name: str) -> Any:
            cmd = ConfirmBooking(tenant_id=t, booking_id=ids[name], idempotency_key=self.k())
            return s["bookings"].confirm(cmd)

        def balance() -> Any:
            view = s["ledger"].balance_for(t, self.parent, self.clock.now().date())
            return view.balance_id

        def session(name: str, starts_in: timedelta, capacity: int = 3) -> None:
            ids[name] = self.world.session(starts_in=starts_in, capacity=capacity, credits=2)

        def hold(name: str) -> Any:
            cmd = PlaceHold(
                tenant_id=t,
                balance_id=balance(),
                booking_id=new_uuid(),
                credits=3,
                idempotency_key=self.k(),
            )
            return keep(name, s["ledger"].place_hold(cmd).id)

        def debit(name: str) -> Any:
            booking = keep(name, new_uuid())
            cmd = Debit(
                tenant_id=t,
                balance_id=balance(),
                booking_id=booking,
                credits=2,
                idempotency_key=self.k(),
            )
            return s["ledger"].debit(cmd)

        def trip(name: str) -> Any:
            item = LineItem.hotel(
                provider="Booking.com",
                external_ref="H1",
                price_per_night=Money(Decimal("90.00"), "EUR"),
                check_in=day + timedelta(days=10),
                check_out=day + timedelta(days=12),
            )
            cmd = BookTrip(
                tenant_id=t,
                user_id=ids["traveller"],
                currency="EUR",
                items=(item,),
                idempotency_key=self.k(),
            )
            return keep(name, s["travel"].book_trip(cmd).id)

        def join(session: str, child: int, name: str) -> Any:
            cmd = JoinWaitlist(
                tenant_id=t,
                session_id=ids[session],
                child_id=self.kids[child],
                parent_id=self.parent,
                idempotency_key=self.k(),
            )
            return keep(name, s["waitlist"].join(cmd).entry_id)

        def cancel(name: str) -> Any:
            cmd = CancelBooking(
                tenant_id=t,
                booking_id=ids[name],
                reason=CancellationReason.SCHEDULE_CONFLICT,
                idempotency_key=self.k(),
            )
            return s["bookings"].cancel(cmd)

        def promote(session: str) -> Any:
            cmd = PromoteWaitlist(tenant_id=t, session_id=ids[session], idempotency_key=self.k())
            return s["waitlist"].promote(cmd)

        def advance(delta: timedelta) -> Callable[[], None]:
            return lambda: self.clock.advance(delta)

        return [
            # catalog
            (
                "catalog.apply_venue",
                lambda: keep(
                    "venue",
                    s["catalog"].apply_venue(
                        ApplyVenue(tenant_id=t, name="Park", slug="park", timezone="UTC")
                    ),
                ),
            ),
            (
                "catalog.update_insurance",
                lambda: s["catalog"].update_insurance(
                    UpdateInsurance(
                        tenant_id=t,
                        venue_id=ids["venue"],
                        coverage=Decimal("2000000"),
                        expiry_date=date(2027, 6, 1),
                    )
                ),
            ),
            (
                "catalog.change_venue_status",
                lambda: s["catalog"].change_venue_status(
                    ChangeVenueStatus(
                        tenant_id=t, venue_id=ids["venue"], action=VenueAction.APPROVE
                    )
                ),
            ),
            (
                "catalog.create_activity",
                lambda: keep(
                    "activity",
                    s["catalog"].create_activity(
                        CreateActivity(
                            tenant_id=t,
                            venue_id=ids["venue"],
                            name="Chess",
                            category=ActivityCategory.STEM,
                            duration_minutes=60,
                            credits_required=2,
                            capacity_per_session=4,
                            min_age=4,
                            max_age=12,
                        )
                    ),
                ),
            ),
            (
                "catalog.schedule_session",
                lambda: keep(
                    "own_session",
                    s["catalog"].schedule_session(
                        ScheduleSession(
                            tenant_id=t,
                            activity_id=ids["activity"],
                            session_date=day + timedelta(days=9),
                            start_time=time(10),
                        )
                    ),
                ),
            ),
            (
                "catalog.create_schedule",
                lambda: keep(
                    "schedule",
                    s["catalog"].create_schedule(
                        CreateSchedule(
                            tenant_id=t,
                            activity_id=ids["activity"],
                            days_of_week=(2,),
                            start_time=time(16),
                            duration_minutes=60,
                            capacity=4,
                            effective_from=day,
                        )
                    ),
                ),
            ),
            (
                "catalog.generate_sessions",
                lambda: s["catalog"].generate_sessions(
                    GenerateSessions(
                        tenant_id=t, schedule_id=ids["schedule"], through=day + timedelta(days=20)
                    )
                ),
            ),
            # booking
            (
                "setup: sessions",
                lambda: [
                    session("s1", timedelta(days=7)),
                    session("s2", timedelta(hours=30), 1),
                    session("s3", timedelta(days=8)),
                ],
            ),
            ("bookings.book", lambda: book("s1", 0, "b1")),
            ("bookings.confirm", lambda: confirm("b1")),
            (
                "bookings.book_group",
                lambda: keep(
                    "group",
                    s["bookings"].book_group(
                        BookGroup(
                            tenant_id=t,
                            session_id=ids["s3"],
                            child_ids=(self.kids[0], self.kids[1]),
                            parent_id=self.parent,
                            idempotency_key=self.k(),
                        )
                    ),
                ),
            ),
            (
                "bookings.book_again",
                lambda: s["bookings"].book_again(
                    BookAgain(
                        tenant_id=t,
                        original_booking_id=ids["b1"],
                        session_id=ids["own_session"],
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("setup: a booking to cancel", lambda: book("s1", 1, "b2")),
            ("setup: confirmed", lambda: confirm("b2")),
            (
                "bookings.cancel",
                lambda: s["bookings"].cancel(
                    CancelBooking(
                        tenant_id=t,
                        booking_id=ids["b2"],
                        reason=CancellationReason.CHILD_SICK,
                        idempotency_key=self.k(),
                    )
                ),
            ),
            (
                "bookings.partial_refund",
                lambda: s["bookings"].partial_refund(
                    GrantPartialRefund(
                        tenant_id=t,
                        booking_id=ids["b1"],
                        credits=1,
                        reason="shorter class",
                        idempotency_key=self.k(),
                    )
                ),
            ),
            (
                "bookings.compensate_activity_change",
                lambda: s["bookings"].compensate_activity_change(
                    CompensateActivityChange(
                        tenant_id=t,
                        activity_id=self.world.get_session(ids["s1"]).activity_id,
                        credits=1,
                        reason="new teacher",
                        idempotency_key=self.k(),
                    )
                ),
            ),
            # waitlist on the one-seat session s2
            ("setup: s2 full", lambda: book("s2", 0, "b3")),
            ("setup: s2 confirmed", lambda: confirm("b3")),
            (
                "waitlist.join",
                lambda: keep(
                    "entry",
                    s["waitlist"]
                    .join(
                        JoinWaitlist(
                            tenant_id=t,
                            session_id=ids["s2"],
                            child_id=self.kids[1],
                            parent_id=self.parent,
                            idempotency_key=self.k(),
                        )
                    )
                    .entry_id,
                ),
            ),
            (
                "setup: a second entry",
                lambda: keep(
                    "entry2",
                    s["waitlist"]
                    .join(
                        JoinWaitlist(
                            tenant_id=t,
                            session_id=ids["s2"],
                            child_id=self.kids[2],
                            parent_id=self.parent,
                            idempotency_key=self.k(),
                        )
                    )
                    .entry_id,
                ),
            ),
            (
                "waitlist.leave",
                lambda: s["waitlist"].leave(
                    LeaveWaitlist(tenant_id=t, entry_id=ids["entry2"], idempotency_key=self.k())
                ),
            ),
            (
                "setup: a seat frees up",
                lambda: s["bookings"].cancel(
                    CancelBooking(
                        tenant_id=t,
                        booking_id=ids["b3"],
                        reason=CancellationReason.SCHEDULE_CONFLICT,
                        idempotency_key=self.k(),
                    )
                ),
            ),
            (
                "waitlist.promote",
                lambda: s["waitlist"].promote(
                    PromoteWaitlist(tenant_id=t, session_id=ids["s2"], idempotency_key=self.k())
                ),
            ),
            (
                "waitlist.accept",
                lambda: s["waitlist"].accept(
                    RespondToOffer(tenant_id=t, entry_id=ids["entry"], idempotency_key=self.k())
                ),
            ),
            (
                "bookings.cancel_session",
                lambda: s["bookings"].cancel_session(
                    CancelSession(
                        tenant_id=t, session_id=ids["s3"], reason="flood", idempotency_key=self.k()
                    )
                ),
            ),
            # a declined offer, and an offer left to expire, on the one-seat session s4
            ("setup: s4", lambda: session("s4", timedelta(days=8), 1)),
            ("setup: s4 full", lambda: book("s4", 0, "b4")),
            ("setup: s4 confirmed", lambda: confirm("b4")),
            ("setup: a first entry", lambda: join("s4", 1, "entry3")),
            ("setup: a next entry", lambda: join("s4", 2, "entry4")),
            ("setup: s4 frees up", lambda: cancel("b4")),
            ("setup: an offer", lambda: promote("s4")),
            (
                "waitlist.decline",
                lambda: s["waitlist"].decline(
                    RespondToOffer(tenant_id=t, entry_id=ids["entry3"], idempotency_key=self.k())
                ),
            ),
            # ledger
            (
                "setup: a corporate",
                lambda: keep(
                    "corp",
                    self.people.register_corporate(
                        RegisterCorporate(
                            tenant_id=t,
                            company_name="Acme",
                            primary_contact_name="Hr",
                            primary_contact_email="hr@example.com",
                            contract_start_date=day,
                        )
                    ),
                ),
            ),
            (
                "setup: an employee",
                lambda: keep(
                    "employee",
                    self.people.register_user(
                        RegisterUser(
                            tenant_id=t,
                            email="emp@example.com",
                            role=UserRole.PARENT,
                            first_name="Em",
                            last_name="Ployee",
                            corporate_id=ids["corp"],
                        )
                    ),
                ),
            ),
            (
                "ledger.create_subscription",
                lambda: keep(
                    "subscription",
                    s["ledger"]
                    .create_subscription(
                        CreateSubscription(
                            tenant_id=t,
                            corporate_id=ids["corp"],
                            tier=SubscriptionTier.STANDARD,
                            covered_employees=2,
                            credits_per_employee=10,
                            monthly_cost=Money(Decimal("100.00"), "EUR"),
                            start_date=day,
                            idempotency_key=self.k(),
                        )
                    )
                    .id,
                ),
            ),
            (
                "ledger.allocate_period_credits",
                lambda: s["ledger"].allocate_period_credits(
                    AllocatePeriodCredits(
                        tenant_id=t,
                        subscription_id=ids["subscription"],
                        user_id=ids["employee"],
                        day=day,
                        idempotency_key=self.k(),
                    )
                ),
            ),
            (
                "ledger.allocate_credits",
                lambda: s["ledger"].allocate_credits(
                    AllocateCredits(
                        tenant_id=t,
                        user_id=self.parent,
                        day=day,
                        credits=20,
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("ledger.place_hold", lambda: hold("h1")),
            (
                "ledger.capture_hold",
                lambda: s["ledger"].capture_hold(
                    CaptureHold(
                        tenant_id=t,
                        balance_id=balance(),
                        hold_id=ids["h1"],
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("setup: a hold to void", lambda: hold("h2")),
            (
                "ledger.void_hold",
                lambda: s["ledger"].void_hold(
                    VoidHold(
                        tenant_id=t,
                        balance_id=balance(),
                        hold_id=ids["h2"],
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("ledger.debit", lambda: debit("d1")),
            (
                "ledger.refund",
                lambda: s["ledger"].refund(
                    Refund(
                        tenant_id=t,
                        balance_id=balance(),
                        booking_id=ids["d1"],
                        credits=1,
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("setup: a debit to forfeit", lambda: debit("d2")),
            (
                "ledger.forfeit",
                lambda: s["ledger"].forfeit(
                    Forfeit(
                        tenant_id=t,
                        balance_id=balance(),
                        booking_id=ids["d2"],
                        idempotency_key=self.k(),
                    )
                ),
            ),
            (
                "ledger.adjust",
                lambda: keep(
                    "adjustment",
                    s["ledger"]
                    .adjust(
                        Adjust(
                            tenant_id=t,
                            balance_id=balance(),
                            credits=5,
                            reason="goodwill",
                            idempotency_key=self.k(),
                        )
                    )
                    .id,
                ),
            ),
            (
                "ledger.reverse",
                lambda: s["ledger"].reverse(
                    Reverse(
                        tenant_id=t,
                        balance_id=balance(),
                        entry_id=ids["adjustment"],
                        reason="typo",
                        idempotency_key=self.k(),
                    )
                ),
            ),
            # travel
            (
                "travel.register_tenant",
                lambda: s["travel"].register_tenant(RegisterTenant(tenant_id=t, name="Acme")),
            ),
            (
                "travel.set_policy_rule",
                lambda: s["travel"].set_policy_rule(
                    SetPolicyRule(tenant_id=t, key=PolicyKey.HOTEL_STARS, value={"max": 4})
                ),
            ),
            (
                "travel.remove_policy_rule",
                lambda: s["travel"].remove_policy_rule(
                    RemovePolicyRule(tenant_id=t, key=PolicyKey.HOTEL_STARS)
                ),
            ),
            ("setup: a traveller", lambda: keep("traveller", self.parent)),
            (
                "travel.set_preferences",
                lambda: s["travel"].set_preferences(
                    SetTravelPreferences(tenant_id=t, user_id=ids["traveller"], language="de")
                ),
            ),
            (
                "travel.draft_itinerary",
                lambda: keep(
                    "itinerary",
                    s["travel"]
                    .draft_itinerary(
                        DraftItinerary(
                            tenant_id=t,
                            user_id=ids["traveller"],
                            starts_on=day + timedelta(days=10),
                            ends_on=day + timedelta(days=12),
                            destinations=("Lisbon",),
                            idempotency_key=self.k(),
                        )
                    )
                    .id,
                ),
            ),
            (
                "travel.add_itinerary_day",
                lambda: s["travel"].add_itinerary_day(
                    AddItineraryDay(
                        tenant_id=t,
                        itinerary_id=ids["itinerary"],
                        day=ItineraryDay(day=day + timedelta(days=11), activity_type="meeting"),
                        idempotency_key=self.k(),
                    )
                ),
            ),
            ("travel.book_trip", lambda: trip("trip")),
            (
                "travel.confirm_trip",
                lambda: s["travel"].confirm_trip(
                    ChangeTrip(tenant_id=t, trip_id=ids["trip"], idempotency_key=self.k())
                ),
            ),
            ("setup: a trip to cancel", lambda: trip("trip2")),
            (
                "travel.cancel_trip",
                lambda: s["travel"].cancel_trip(
                    ChangeTrip(tenant_id=t, trip_id=ids["trip2"], idempotency_key=self.k())
                ),
            ),
            # time passes: attendance, completion and the jobs
            ("setup: s1 is over", advance(timedelta(days=7, hours=2))),
            (
                "bookings.mark_attendance",
                lambda: s["bookings"].mark_attendance(
                    MarkAttendance(
                        tenant_id=t, booking_id=ids["b1"], attended=True, idempotency_key=self.k()
                    )
                ),
            ),
            (
                "bookings.complete_session",
                lambda: s["bookings"].complete_session(
                    CompleteSession(tenant_id=t, session_id=ids["s1"], idempotency_key=self.k())
                ),
            ),
            (
                "travel.send_due_reminders",
                lambda: s["travel"].send_due_reminders(
                    SendDueReminders(tenant_id=t, idempotency_key=self.k())
                ),
            ),
            ("setup: a hold left open", lambda: hold("h3")),
            ("setup: the hold times out", advance(timedelta(hours=25))),
            ("ledger.expire_holds", lambda: s["ledger"].expire_holds(t)),
            ("catalog.release_inventory", lambda: s["catalog"].release_inventory(t)),
            ("waitlist.expire_offers", lambda: s["waitlist"].expire_offers(t)),
            ("setup: the period nears its end", advance(timedelta(days=18))),
            ("ledger.send_expiry_warnings", lambda: s["ledger"].send_expiry_warnings(t)),
            ("setup: the period ends", advance(timedelta(days=14))),
            ("ledger.close_periods", lambda: s["ledger"].close_periods(t)),
            ("ledger.purge_idempotency_keys", lambda: s["ledger"].purge_idempotency_keys(t)),
        ]


WITHIN = {"bookings.book_in"}
"""Methods that run inside another use case's unit of work (``curation.accept``, audited in
``test_audit_discovery``)."""


def use_cases() -> set[str]:
    return public_commands(SERVICES, QUERIES) - WITHIN


def test_the_story_runs_every_use_case() -> None:
    story = Story(MemoryDatabase())
    named = {name for name, _ in story.steps() if not name.startswith("setup")}
    assert named == use_cases()


def test_on_memory_each_use_case_audits_exactly_the_rows_it_changed() -> None:
    database = MemoryDatabase()
    story = Story(database)
    tables = audited_tables(database)
    audited: Counter[str] = Counter()
    for name, step in story.steps():
        audited[name] += len(entries_of_step(database, tables, name, step))
    silent = sorted(name for name in use_cases() if not audited[name])
    assert silent == ["ledger.purge_idempotency_keys"]  # idempotency records are not audited


def test_on_postgres_each_use_case_audits_what_memory_audits(
    postgres_database: PostgresDatabase,
) -> None:
    memory_db = MemoryDatabase()
    memory, pg = Story(memory_db), Story(postgres_database)
    steps = zip(memory.steps(), pg.steps(), strict=True)
    audits_alike(memory_db, postgres_database, pg.t, ((n, m, p) for (n, m), (_, p) in steps))
