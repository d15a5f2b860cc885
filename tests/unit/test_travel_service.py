"""Travel use cases over the memory adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.kernel import (
    AccessDenied,
    DomainEvent,
    EventBus,
    IdempotencyConflict,
    InvalidTransition,
    ManualClock,
    Money,
    NotFound,
    PolicyViolation,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.testing.actors import admin, job
from travelcore.travel import (
    BookTrip,
    Category,
    ChangeTrip,
    DraftItinerary,
    ItineraryDay,
    ItineraryStatus,
    LineItem,
    Period,
    PolicyKey,
    RegisterTenant,
    ReminderDue,
    RemovePolicyRule,
    SendDueReminders,
    SetPolicyRule,
    SetTravelPreferences,
    Severity,
    TravelService,
    TripStatus,
    spend_report,
)
from travelcore_adapters.memory import MemoryDatabase

START = date(2026, 4, 1)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def items(currency: str = "EUR", night: str = "140") -> tuple[LineItem, ...]:
    return (
        LineItem.flight(
            provider="Amadeus",
            external_ref="PNR",
            fare=Money.of("300", currency),
            passengers=1,
            departs_on=START,
            destination="LHR",
        ),
        LineItem.hotel(
            provider="Booking.com",
            external_ref="H",
            price_per_night=Money.of(night, currency),
            check_in=START,
            check_out=START + timedelta(days=2),
            stars=4,
        ),
        LineItem.car(
            provider="Hertz",
            external_ref="C",
            price_per_day=Money.of("50", currency),
            pick_up=START,
            drop_off=START + timedelta(days=2),
        ),
    )


class Env:
    def __init__(self, clock: ManualClock) -> None:
        self.bus = EventBus()
        self.events: list[DomainEvent] = []
        self.bus.subscribe(self.events.append)
        self.clock = clock
        self.service = TravelService(MemoryDatabase(self.bus), clock)
        self.tenant = TenantId(new_uuid())
        self.user = UserId(new_uuid())
        self.keys = 0
        self.service.register_tenant(
            RegisterTenant(tenant_id=self.tenant, name="Acme", idempotency_key=self.key()),
            actor=admin(self.tenant),
        )

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def policy(self, key: PolicyKey, value: Any, severity: Severity = Severity.REFUSAL) -> None:
        self.service.set_policy_rule(
            SetPolicyRule(
                tenant_id=self.tenant,
                key=key,
                value=value,
                severity=severity,
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )

    def draft(self, user: UserId | None = None, start: date = START) -> Any:
        return self.service.draft_itinerary(
            DraftItinerary(
                tenant_id=self.tenant,
                user_id=user or self.user,
                starts_on=start,
                ends_on=start + timedelta(days=2),
                destinations=("London",),
                idempotency_key=self.key(),
            ),
            actor=admin(self.tenant),
        )

    def book(self, itinerary_id: Any = None, **kw: Any) -> Any:
        values: dict[str, Any] = {
            "tenant_id": self.tenant,
            "user_id": self.user,
            "currency": "EUR",
            "items": items(),
            "itinerary_id": itinerary_id,
            "idempotency_key": self.key(),
        }
        values.update(kw)
        cmd = BookTrip(**values)
        return self.service.book_trip(cmd, actor=admin(cmd.tenant_id))


@pytest.fixture
def env(clock: ManualClock) -> Env:
    return Env(clock)


def test_unknown_tenant_cannot_plan(env: Env) -> None:
    unknown = TenantId(new_uuid())
    with pytest.raises(NotFound):
        env.service.draft_itinerary(
            DraftItinerary(
                tenant_id=unknown,
                user_id=env.user,
                starts_on=START,
                ends_on=START,
                destinations=("X",),
                idempotency_key="x",
            ),
            actor=admin(unknown),
        )


def test_booking_an_itinerary_turns_it_booked(env: Env) -> None:
    draft = env.draft()
    assert [
        i.id
        for i in env.service.itineraries(
            env.tenant, status=ItineraryStatus.DRAFT, actor=admin(env.tenant)
        )
    ] == [draft.id]
    booked = env.book(draft.id)
    assert booked.total == eur("680.00")
    itinerary = env.service.itinerary(env.tenant, draft.id, actor=admin(env.tenant))
    assert itinerary.status is ItineraryStatus.BOOKED
    assert (
        env.service.itineraries(
            env.tenant, user_id=env.user, status=ItineraryStatus.DRAFT, actor=admin(env.tenant)
        )
        == []
    )
    trip = env.service.trip(env.tenant, booked.id, actor=admin(env.tenant))
    assert trip.itinerary_id == draft.id
    assert trip.destinations == ("London",)
    assert trip.status is TripStatus.PENDING
    with pytest.raises(InvalidTransition):
        env.book(draft.id)


def test_a_failed_booking_leaves_the_itinerary_a_draft(env: Env) -> None:
    draft = env.draft()
    env.policy(PolicyKey.PER_TRIP_CAP, {"amount": "100", "currency": "EUR"})
    with pytest.raises(PolicyViolation):
        env.book(draft.id)
    assert (
        env.service.itinerary(env.tenant, draft.id, actor=admin(env.tenant)).status
        is ItineraryStatus.DRAFT
    )
    assert env.service.trips(env.tenant, actor=admin(env.tenant)) == []


def test_items_outside_the_itinerary_dates_are_refused(env: Env) -> None:
    draft = env.draft(start=START + timedelta(days=10))
    with pytest.raises(ValidationFailed) as err:
        env.book(draft.id)
    assert err.value.rule == "within_itinerary_dates"


def test_another_users_itinerary_cannot_be_booked(env: Env) -> None:
    draft = env.draft(user=UserId(new_uuid()))
    with pytest.raises(AccessDenied):
        env.book(draft.id)


def test_mixed_currencies_are_refused(env: Env) -> None:
    mixed = (items()[0], items("USD")[1])
    with pytest.raises(ValidationFailed) as err:
        env.book(items=mixed)
    assert err.value.rule == "single_currency"


def test_idempotent_booking(env: Env) -> None:
    command = BookTrip(
        tenant_id=env.tenant, user_id=env.user, currency="EUR", items=items(), idempotency_key="b"
    )
    first = env.service.book_trip(command, actor=admin(command.tenant_id))
    again = env.service.book_trip(command, actor=admin(command.tenant_id))
    assert first == again
    assert len(env.service.trips(env.tenant, actor=admin(env.tenant))) == 1
    different = BookTrip(
        tenant_id=env.tenant,
        user_id=env.user,
        currency="EUR",
        items=items(night="99"),
        idempotency_key="b",
    )
    with pytest.raises(IdempotencyConflict):
        env.service.book_trip(different, actor=admin(different.tenant_id))


def test_policy_warning_flags_and_refusal_raises(env: Env) -> None:
    env.policy(PolicyKey.PER_NIGHT_CAP, {"amount": "120", "currency": "EUR"}, Severity.WARNING)
    result = env.book()
    assert [w.rule for w in result.warnings] == [PolicyKey.PER_NIGHT_CAP]
    assert env.service.trip(env.tenant, result.id, actor=admin(env.tenant)).policy_flags == (
        "per_night_cap",
    )
    env.policy(PolicyKey.PER_NIGHT_CAP, {"amount": "120", "currency": "EUR"})
    with pytest.raises(PolicyViolation) as err:
        env.book()
    assert err.value.details["rule"] == "per_night_cap"


def test_advance_booking_refuses_late_drafts(env: Env) -> None:
    env.policy(PolicyKey.ADVANCE_BOOKING, {"min_days": 45})
    with pytest.raises(PolicyViolation):
        env.draft()
    assert env.service.itineraries(env.tenant, actor=admin(env.tenant)) == []


def test_policy_rules_are_replaced_removed_and_isolated(env: Env) -> None:
    env.policy(PolicyKey.CABIN_CLASS, {"max": "economy"})
    env.policy(PolicyKey.CABIN_CLASS, {"max": "business"})
    rules = env.service.policy_rules(env.tenant, actor=admin(env.tenant))
    assert [(r.value, r.version) for r in rules] == [({"max": "business"}, 2)]
    other = Env(env.clock)
    assert other.service.policy_rules(other.tenant, actor=admin(other.tenant)) == []
    removed = env.service.remove_policy_rule(
        RemovePolicyRule(tenant_id=env.tenant, key=PolicyKey.CABIN_CLASS, idempotency_key="r"),
        actor=admin(env.tenant),
    )
    assert removed is True
    assert env.service.policy_rules(env.tenant, actor=admin(env.tenant)) == []


def test_bad_policy_values_are_refused_on_write(env: Env) -> None:
    with pytest.raises(ValidationFailed):
        env.policy(PolicyKey.HOTEL_STARS, {"min": 5, "max": 1})
    assert env.service.policy_rules(env.tenant, actor=admin(env.tenant)) == []


def test_preferences_are_set_and_updated(env: Env) -> None:
    assert env.service.preferences(env.tenant, env.user, actor=admin(env.tenant)).timezone == "UTC"
    for language in ("de", "fr"):
        env.service.set_preferences(
            SetTravelPreferences(
                tenant_id=env.tenant,
                user_id=env.user,
                hotel_rating=4,
                budget_max=eur("2000"),
                loyalty_numbers={"airline": "LH-1"},
                language=language,
                timezone="Europe/Berlin",
                idempotency_key=env.key(),
            ),
            actor=admin(env.tenant),
        )
    prefs = env.service.preferences(env.tenant, env.user, actor=admin(env.tenant))
    assert (prefs.language, prefs.version, prefs.budget_max) == ("fr", 2, eur("2000"))


def test_confirm_and_cancel(env: Env) -> None:
    trip = env.book()
    confirm = ChangeTrip(tenant_id=env.tenant, trip_id=trip.id, idempotency_key="c")
    assert (
        env.service.confirm_trip(confirm, actor=admin(confirm.tenant_id)).status
        is TripStatus.CONFIRMED
    )
    assert (
        env.service.confirm_trip(confirm, actor=admin(confirm.tenant_id)).status
        is TripStatus.CONFIRMED
    )  # replay
    with pytest.raises(InvalidTransition):
        env.service.confirm_trip(
            ChangeTrip(tenant_id=env.tenant, trip_id=trip.id, idempotency_key="c2"),
            actor=admin(env.tenant),
        )
    cancelled = env.service.cancel_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=trip.id, idempotency_key="x"),
        actor=admin(env.tenant),
    )
    assert cancelled.status is TripStatus.CANCELLED
    assert env.service.due_reminders(env.tenant, actor=admin(env.tenant)) == []
    env.clock.advance(timedelta(days=60))
    assert env.service.due_reminders(env.tenant, actor=admin(env.tenant)) == []


def test_reminders_fall_due_in_the_travellers_zone_and_send_once(env: Env) -> None:
    env.service.set_preferences(
        SetTravelPreferences(
            tenant_id=env.tenant,
            user_id=env.user,
            timezone="America/New_York",
            idempotency_key=env.key(),
        ),
        actor=admin(env.tenant),
    )
    trip = env.book()
    assert env.service.due_reminders(env.tenant, actor=admin(env.tenant)) == []
    # "the day before at 09:00" New York time on 2026-03-31 (EDT, UTC-4) is 13:00 UTC.
    env.clock.set(datetime(2026, 3, 31, 12, 59, tzinfo=UTC))
    due = env.service.due_reminders(env.tenant, actor=admin(env.tenant))
    assert len(due) == 1  # only the week-before reminder
    env.clock.set(datetime(2026, 3, 31, 13, 0, tzinfo=UTC))
    due = env.service.due_reminders(env.tenant, actor=admin(env.tenant))
    assert [r.due_at for r in due] == [
        datetime(2026, 3, 25, 13, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 13, 0, tzinfo=UTC),
    ]
    assert all(r.trip_id == trip.id for r in due)
    sent = env.service.send_due_reminders(
        SendDueReminders(tenant_id=env.tenant, idempotency_key="s"), actor=job(env.tenant)
    )
    assert len(sent.reminder_ids) == 2
    again = env.service.send_due_reminders(
        SendDueReminders(tenant_id=env.tenant, idempotency_key="s"), actor=job(env.tenant)
    )
    assert again == sent
    later = env.service.send_due_reminders(
        SendDueReminders(tenant_id=env.tenant, idempotency_key="s2"), actor=job(env.tenant)
    )
    assert later.reminder_ids == ()
    delivered = [e for e in env.events if isinstance(e, ReminderDue)]
    assert sorted(e.reminder_id for e in delivered) == sorted(sent.reminder_ids)
    assert env.service.due_reminders(env.tenant, actor=admin(env.tenant)) == []


def test_reminders_already_past_at_booking_are_skipped(env: Env) -> None:
    env.clock.set(datetime(2026, 3, 30, tzinfo=UTC))
    env.book()
    env.clock.set(datetime(2026, 3, 31, 9, tzinfo=UTC))
    assert len(env.service.due_reminders(env.tenant, actor=admin(env.tenant))) == 1


def test_history_and_spend(env: Env) -> None:
    first = env.book()
    env.service.confirm_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=first.id, idempotency_key="1"),
        actor=admin(env.tenant),
    )
    usd = env.book(currency="USD", items=items("USD"))
    env.service.confirm_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=usd.id, idempotency_key="2"),
        actor=admin(env.tenant),
    )
    env.book()  # pending: not spend yet
    other_user = env.book(user_id=UserId(new_uuid()))
    env.service.confirm_trip(
        ChangeTrip(tenant_id=env.tenant, trip_id=other_user.id, idempotency_key="3"),
        actor=admin(env.tenant),
    )
    report = env.service.spend(
        env.tenant, Period.QUARTER, user_id=env.user, actor=admin(env.tenant)
    )
    assert [(line.period, line.currency, line.total) for line in report.lines] == [
        ("2026-Q2", "EUR", eur("680.00")),
        ("2026-Q2", "USD", Money.of("680.00", "USD")),
    ]
    assert report.lines[0].by_category[Category.HOTEL] == eur("280.00")
    assert report.top_destinations == (("LHR", 2),)
    tenant_report = env.service.spend(env.tenant, Period.YEAR, actor=admin(env.tenant))
    assert tenant_report.lines[0].total == eur("1360.00")
    assert env.service.history(env.tenant, env.user, actor=admin(env.tenant)) == []
    env.clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    assert {t.id for t in env.service.history(env.tenant, env.user, actor=admin(env.tenant))} == {
        first.id,
        usd.id,
    }


def test_tenants_do_not_see_each_other(env: Env) -> None:
    env.book()
    env.draft()
    other = TenantId(new_uuid())
    env.service.register_tenant(
        RegisterTenant(tenant_id=other, name="Other", idempotency_key="o"), actor=admin(other)
    )
    assert env.service.trips(other, actor=admin(other)) == []
    assert env.service.itineraries(other, actor=admin(other)) == []
    assert len(env.service.trips(env.tenant, actor=admin(env.tenant))) == 1


_kinds: Callable[[], Any] = lambda: st.sampled_from([Category.FLIGHT, Category.TOUR])  # noqa: E731


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["EUR", "USD", "JPY"]),
            st.integers(min_value=1, max_value=12),
            st.lists(
                st.tuples(
                    _kinds(),
                    st.decimals(min_value=0, max_value=2000, places=0),
                    st.integers(1, 4),
                ),
                min_size=1,
                max_size=4,
            ),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.sampled_from(list(Period)),
)
def test_categories_always_sum_to_the_total(
    trips: list[tuple[str, int, list[tuple[Category, Decimal, int]], bool]], period: Period
) -> None:
    from travelcore.travel import CabinClass, Trip, TripId

    tenant, user = TenantId(new_uuid()), UserId(new_uuid())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    built = []
    for currency, month, specs, confirmed in trips:
        trip = Trip(
            id=TripId(new_uuid()),
            tenant_id=tenant,
            user_id=user,
            itinerary_id=None,
            currency=currency,
            items=tuple(
                LineItem(
                    kind=kind,
                    provider="P",
                    external_ref="R",
                    unit_price=Money.of(price, currency),
                    quantity=q,
                    starts_on=date(2026, month, 1),
                    cabin_class=CabinClass.ECONOMY if kind is Category.FLIGHT else None,
                )
                for kind, price, q in specs
            ),
            created_at=now,
            updated_at=now,
        )
        built.append(trip.confirmed(now) if confirmed else trip)
    report = spend_report(built, period)
    for line in report.lines:
        assert sum((m.amount for m in line.by_category.values()), Decimal(0)) == line.total.amount
        assert all(m.currency == line.currency for m in line.by_category.values())
    for currency in {t.currency for t in built}:
        expected = sum(
            (
                t.total.amount
                for t in built
                if t.currency == currency and t.status.value == "confirmed"
            ),
            Decimal(0),
        )
        got = sum(
            (line.total.amount for line in report.lines if line.currency == currency), Decimal(0)
        )
        assert got == expected


def test_check_plan_reports_without_writing(env: Env) -> None:
    from travelcore.travel import Plan

    env.policy(PolicyKey.PER_TRIP_CAP, {"amount": "500", "currency": "EUR"})
    env.policy(PolicyKey.HOTEL_STARS, {"max": 3}, Severity.WARNING)
    findings = env.service.check_plan(
        env.tenant, Plan(starts_on=START, items=items()), actor=admin(env.tenant)
    )
    assert [(f.rule, f.severity) for f in findings] == [
        (PolicyKey.HOTEL_STARS, Severity.WARNING),
        (PolicyKey.PER_TRIP_CAP, Severity.REFUSAL),
    ]
    assert env.service.trips(env.tenant, actor=admin(env.tenant)) == []


def test_days_are_added_to_drafts_only(env: Env) -> None:
    from travelcore.travel import AddItineraryDay

    draft = env.draft()
    day = ItineraryDay(day=START + timedelta(days=1), activity_type="meeting", details={"at": "HQ"})
    itinerary = env.service.add_itinerary_day(
        AddItineraryDay(tenant_id=env.tenant, itinerary_id=draft.id, day=day, idempotency_key="d1"),
        actor=admin(env.tenant),
    )
    assert itinerary.days == (day,)
    with pytest.raises(ValidationFailed) as err:
        env.service.add_itinerary_day(
            AddItineraryDay(
                tenant_id=env.tenant,
                itinerary_id=draft.id,
                day=ItineraryDay(day=START + timedelta(days=9), activity_type="tour"),
                idempotency_key="d2",
            ),
            actor=admin(env.tenant),
        )
    assert err.value.rule == "within_trip_dates"
    env.book(draft.id)
    with pytest.raises(InvalidTransition):
        env.service.add_itinerary_day(
            AddItineraryDay(
                tenant_id=env.tenant, itinerary_id=draft.id, day=day, idempotency_key="d3"
            ),
            actor=admin(env.tenant),
        )


def test_removing_an_absent_rule_is_a_no_op(env: Env) -> None:
    removed = env.service.remove_policy_rule(
        RemovePolicyRule(tenant_id=env.tenant, key=PolicyKey.PER_TRIP_CAP, idempotency_key="rm"),
        actor=admin(env.tenant),
    )
    assert removed is False
