"""A business trip: policy, draft itinerary, booking, payment, reminders and a spend report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs

from examples.demo.backends import OpenApp
from travelcore.kernel import (
    Actor,
    DomainEvent,
    EventBus,
    ManualClock,
    Money,
    PolicyViolation,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.payments import PaymentGateway, PayTrip
from travelcore.travel import (
    BookTrip,
    CabinClass,
    DraftItinerary,
    ItineraryDay,
    ItineraryId,
    LineItem,
    Period,
    PolicyKey,
    RegisterTenant,
    ReminderDue,
    ReminderOffset,
    SendDueReminders,
    SetPolicyRule,
    SetTravelPreferences,
    Severity,
    TravelService,
    TripId,
)
from travelcore_adapters import bootstrap
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway


def run(open_app: OpenApp = bootstrap.memory, gateway: PaymentGateway | None = None) -> None:
    """Print the scenario; payments go through ``gateway`` (the memory gateway by default)."""
    print("== A business trip ==")
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    bus = EventBus()

    def remind(event: DomainEvent) -> None:
        if isinstance(event, ReminderDue):
            print(f"  reminder: {event.message}")

    bus.subscribe(remind)
    app = open_app(clock=clock, events=bus, gateway=gateway or MemoryPaymentGateway())
    payments = app.payments
    # Reminders a day before at 09:00 instead of the default offsets: a service built by hand.
    travel = TravelService(
        app.database, clock, reminder_offsets=(ReminderOffset(days_before=1, at=time(9, 0)),)
    )
    acme, ada = TenantId(new_uuid()), UserId(new_uuid())
    # the platform's operator, allowed everything in the tenant
    staff = Actor.platform_admin(acme, UserId(new_uuid()))
    ada_acts = Actor.traveller(acme, ada)  # Ada acts on her own preferences and trips

    travel.register_tenant(
        RegisterTenant(tenant_id=acme, name="Acme", idempotency_key="t"), actor=staff
    )
    for key, value, severity in [
        (PolicyKey.CABIN_CLASS, {"max": "premium_economy"}, Severity.REFUSAL),
        (PolicyKey.PER_NIGHT_CAP, {"amount": "160.00", "currency": "EUR"}, Severity.WARNING),
        (PolicyKey.ADVANCE_BOOKING, {"min_days": 14}, Severity.REFUSAL),
    ]:
        travel.set_policy_rule(
            SetPolicyRule(
                tenant_id=acme, key=key, value=value, severity=severity, idempotency_key=key
            ),
            actor=staff,
        )
    for rule in travel.policy_rules(acme, actor=staff):
        print(f"Acme policy: {rule.key} = {rule.value} ({rule.severity})")

    travel.set_preferences(
        SetTravelPreferences(
            tenant_id=acme,
            user_id=ada,
            seat_class=CabinClass.ECONOMY,
            timezone="Europe/Berlin",
            loyalty_numbers={"airline": "LH-992211"},
            idempotency_key="prefs",
        ),
        actor=ada_acts,
    )
    start = date(2026, 4, 14)
    draft = travel.draft_itinerary(
        DraftItinerary(
            tenant_id=acme,
            user_id=ada,
            starts_on=start,
            ends_on=start + timedelta(days=2),
            destinations=("Lisbon",),
            days=(
                ItineraryDay(day=start, activity_type="travel", details={"to": "Lisbon"}),
                ItineraryDay(day=start + timedelta(days=1), activity_type="meeting"),
            ),
            idempotency_key="draft",
        ),
        actor=ada_acts,
    )
    print(f"Ada drafts an itinerary to Lisbon, {start} for 3 days: {draft.id}")
    itinerary_id = ItineraryId(draft.id)  # a draft's plan result names the itinerary

    items = (
        LineItem.flight(
            provider="Amadeus",
            external_ref="PNR-7QX2",
            fare=Money.of("289.00", "EUR"),
            passengers=1,
            departs_on=start,
            destination="LIS",
            cabin_class=CabinClass.ECONOMY,
        ),
        LineItem.hotel(
            provider="Booking.com",
            external_ref="BK-55120",
            price_per_night=Money.of("172.00", "EUR"),
            check_in=start,
            check_out=start + timedelta(days=2),
            stars=4,
        ),
        LineItem.car(
            provider="Hertz",
            external_ref="HZ-1188",
            price_per_day=Money.of("48.50", "EUR"),
            pick_up=start,
            drop_off=start + timedelta(days=2),
        ),
    )
    try:
        travel.book_trip(
            BookTrip(
                tenant_id=acme,
                user_id=ada,
                itinerary_id=itinerary_id,
                currency="EUR",
                items=(attrs.evolve(items[0], cabin_class=CabinClass.BUSINESS), *items[1:]),
                idempotency_key="book-business",
            ),
            actor=ada_acts,
        )
    except PolicyViolation as refused:
        print(f"Business class refused: {refused.message}")
    booked = travel.book_trip(
        BookTrip(
            tenant_id=acme,
            user_id=ada,
            itinerary_id=itinerary_id,
            currency="EUR",
            items=items,
            idempotency_key="book",
        ),
        actor=ada_acts,
    )
    for item in items:
        print(f"  {item.kind:<6} {item.provider:<12} {item.unit_price} x {item.quantity}")
    print(f"Booked trip {booked.id}: total {booked.total}")
    trip_id = TripId(booked.id)  # a booking's plan result names the trip
    for warning in booked.warnings:
        print(f"  flagged by policy {warning.rule}: {warning.message}")
    print(f"Itinerary is now {travel.itinerary(acme, itinerary_id, actor=ada_acts).status}")

    paid = payments.pay(
        PayTrip(
            tenant_id=acme, trip_id=trip_id, payment_method="pm_card_visa", idempotency_key="pay"
        ),
        actor=ada_acts,
    )
    print(f"Payment {paid.status}: {paid.amount} ({paid.provider_ref})")
    print(f"Trip is now {travel.trip(acme, trip_id, actor=ada_acts).status}")

    clock.set(datetime(2026, 4, 13, 7, 0, tzinfo=UTC))  # 09:00 in Berlin, Ada's zone
    print(
        f"On {clock.now():%Y-%m-%d %H:%M} UTC, "
        f"{len(travel.due_reminders(acme, actor=staff))} reminder due:"
    )
    travel.send_due_reminders(
        SendDueReminders(tenant_id=acme, idempotency_key="remind-0413"),
        actor=Actor.system(acme, "trip-reminders"),
    )

    report = travel.spend(acme, Period.QUARTER, user_id=ada, actor=staff)
    for line in report.lines:
        print(f"Spend {line.period} ({line.currency}), {line.trips} trip(s): {line.total}")
        for category, amount in line.by_category.items():
            print(f"  {category:<7} {amount}")
    print(f"Top destinations: {report.top_destinations}")
    print(f"Policy flags: {report.policy_flags}")
