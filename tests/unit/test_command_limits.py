"""Every bound a command declares (docs/limits.md): a command at the bound passes its
checks, one past it is refused with ``ValidationFailed`` naming the field and the rule. The
checks are what every use case runs first (``check_command``), before anything is read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from travelcore.accounts import ConversationService
from travelcore.billing import AdjustPayout, BillingService, InvoiceLine, IssueInvoice
from travelcore.booking import (
    BookGroup,
    BookingService,
    CancelSession,
    GrantPartialRefund,
    WaitlistService,
)
from travelcore.catalog import (
    ActivityCategory,
    ApplyVenue,
    CatalogService,
    CreateActivity,
    CreateSchedule,
    GenerateSessions,
)
from travelcore.discovery.personal import Favourites
from travelcore.kernel import ManualClock, Money, TenantId, ValidationFailed, new_uuid
from travelcore.kernel.validation import check_command
from travelcore.ledger import CorporateId, CreateSubscription, LedgerService, SubscriptionTier
from travelcore.notifications import Announce, Channel, NotificationService, SaveTemplate
from travelcore.payments import PaymentService, PayTrip, ReconcilePayments
from travelcore.people import AddChild, PeopleService, RegisterCorporate
from travelcore.settings import PlatformSettingsService
from travelcore.travel import (
    BookTrip,
    Category,
    DraftItinerary,
    ItineraryDay,
    LineItem,
    TravelService,
)
from travelcore.travel import SetTravelPreferences as Preferences
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.notifications import JinjaRenderer

T = TenantId(new_uuid())
ID = new_uuid()
EUR = Money.of("10.00", "EUR")
HOTEL = LineItem.hotel(
    provider="Booking.com",
    external_ref="H1",
    price_per_night=EUR,
    check_in=date(2026, 5, 1),
    check_out=date(2026, 5, 2),
)
OTHER = LineItem(
    kind=Category.OTHER,
    provider="Museum",
    external_ref="M1",
    unit_price=EUR,
    quantity=1,
    starts_on=date(2026, 5, 1),
)
DAY = ItineraryDay(day=date(2026, 5, 1), activity_type="meeting")
LINE = InvoiceLine(description="seats", quantity=1, unit_price=EUR)
KEY = {"idempotency_key": "k"}

BASE: dict[str, Any] = {
    "venue": ApplyVenue(tenant_id=T, name="Park", slug="park"),
    "activity": CreateActivity(
        tenant_id=T,
        venue_id=ID,
        name="Chess",
        category=ActivityCategory.STEM,
        duration_minutes=60,
        credits_required=2,
        capacity_per_session=8,
    ),
    "schedule": CreateSchedule(
        tenant_id=T,
        activity_id=ID,
        days_of_week=(0,),
        start_time=time(9),
        duration_minutes=60,
        capacity=8,
        effective_from=date(2026, 1, 1),
    ),
    "generate": GenerateSessions(tenant_id=T, schedule_id=ID, through=date(2026, 6, 1)),
    "corporate": RegisterCorporate(
        tenant_id=T,
        company_name="Acme",
        primary_contact_name="Ada",
        primary_contact_email="hr@acme.example",
        contract_start_date=date(2026, 1, 1),
    ),
    "child": AddChild(tenant_id=T, parent_id=ID, first_name="Ida", date_of_birth=date(2019, 1, 1)),
    "group": BookGroup(tenant_id=T, session_id=ID, child_ids=(new_uuid(),), parent_id=ID, **KEY),
    "cancel_session": CancelSession(tenant_id=T, session_id=ID, reason="storm", **KEY),
    "partial": GrantPartialRefund(tenant_id=T, booking_id=ID, credits=1, reason="x", **KEY),
    "trip": BookTrip(tenant_id=T, user_id=ID, currency="EUR", items=(HOTEL,), **KEY),
    "itinerary": DraftItinerary(
        tenant_id=T,
        user_id=ID,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 5, 3),
        destinations=("Oslo",),
        **KEY,
    ),
    "preferences": Preferences(tenant_id=T, user_id=ID),
    "pay": PayTrip(tenant_id=T, trip_id=ID, payment_method="pm_card_visa", **KEY),
    "reconcile": ReconcilePayments(tenant_id=T),
    "invoice": IssueInvoice(tenant_id=T, subscription_id=ID, prefix="ACME", **KEY),
    "adjust_payout": AdjustPayout(tenant_id=T, payout_id=ID, amount=EUR, notes="fix", **KEY),
    "announce": Announce(tenant_id=T, user_ids=(ID,), subject="Hi", message="Hello", **KEY),
    "template": SaveTemplate(
        tenant_id=T,
        key="promo",
        channel=Channel.EMAIL,
        language="en",
        name="Promo",
        title="Hi",
        body="Hello",
        **KEY,
    ),
    "subscription": CreateSubscription(
        tenant_id=T,
        corporate_id=CorporateId(ID),
        tier=SubscriptionTier.BASIC,
        covered_employees=1,
        credits_per_employee=1,
        monthly_cost=EUR,
        start_date=date(2026, 1, 1),
        **KEY,
    ),
}


def many(n: int, make: Any = new_uuid) -> tuple[Any, ...]:
    return tuple(make() for _ in range(n))


# (command, field, a value at the bound, one past it, the rule, the field the error names)
LIMITS: list[tuple[str, str, Any, Any, str, str]] = [
    ("venue", "name", "x" * 255, "x" * 256, "max_length_255", "name"),
    ("venue", "insurance_coverage", Decimal("9999999999.99"), Decimal(10**10), "range", ""),
    ("venue", "insurance_coverage", Decimal("1000000.01"), Decimal("1.001"), "max_2_places", ""),
    ("activity", "duration_minutes", 1_440, 1_441, "max_1440", ""),
    ("activity", "capacity_per_session", 10_000, 10_001, "max_10000", ""),
    ("activity", "credits_required", 1_000_000, 1_000_001, "max_1000000", ""),
    ("activity", "max_age", 18, 19, "between_0_and_18", ""),
    ("activity", "tags", ("t",) * 20, ("t",) * 21, "between_0_and_20_items", ""),
    ("schedule", "days_of_week", tuple(range(7)), tuple(range(8)), "between_1_and_7_items", ""),
    ("schedule", "days_of_week", (6,), (7,), "max_6", "days_of_week[0]"),
    ("generate", "through", date(2199, 12, 31), date(2200, 1, 1), "years_1900_to_2199", ""),
    ("generate", "idempotency_key", "k" * 255, "k" * 256, "max_length_255", ""),
    ("corporate", "company_name", "x" * 255, "x" * 256, "max_length_255", ""),
    ("corporate", "timezone", "Pacific/Auckland", "Mars/Olympus", "iana_zone", ""),
    ("child", "first_name", "x" * 100, "x" * 101, "max_length_100", ""),
    ("child", "interests", ("stem",) * 3, ("stem",) * 4, "between_0_and_3_items", ""),
    ("child", "accessibility_needs", ("a",) * 20, ("a",) * 21, "between_0_and_20_items", ""),
    ("group", "child_ids", many(10), many(11), "max_10_children", ""),
    ("cancel_session", "reason", "x" * 1_000, "x" * 1_001, "max_length_1000", ""),
    ("partial", "credits", 1_000_000, 1_000_001, "max_1000000", ""),
    ("trip", "items", (HOTEL,) * 50, (HOTEL,) * 51, "between_0_and_50_items", ""),
    (
        "trip",
        "items",
        (attrs.evolve(OTHER, quantity=1_000),),
        (attrs.evolve(OTHER, quantity=1_001),),
        "max_1000",
        "items[0].quantity",
    ),
    ("itinerary", "destinations", ("Oslo",) * 20, ("Oslo",) * 21, "between_0_and_20_items", ""),
    ("itinerary", "days", (DAY,) * 366, (DAY,) * 367, "between_0_and_366_items", ""),
    (
        "preferences",
        "loyalty_numbers",
        {f"a{n}": "1" for n in range(20)},
        {f"a{n}": "1" for n in range(21)},
        "between_0_and_20_items",
        "",
    ),
    ("pay", "payment_method", "p" * 255, "p" * 256, "max_length_255", ""),
    (
        "reconcile",
        "older_than",
        timedelta(days=3_650),
        timedelta(days=3_651),
        "between_1_minute_and_10_years",
        "",
    ),
    ("invoice", "extra_lines", (LINE,) * 199, (LINE,) * 200, "between_0_and_199_items", ""),
    ("invoice", "tax_rate", Decimal("0.1925"), Decimal("0.19255"), "max_4_places", ""),
    ("adjust_payout", "notes", "x" * 2_000, "x" * 2_001, "max_length_2000", ""),
    ("announce", "user_ids", many(1_000), many(1_001), "between_1_and_1000_items", ""),
    ("announce", "message", "x" * 20_000, "x" * 20_001, "max_length_20000", ""),
    ("template", "body", "x" * 20_000, "x" * 20_001, "max_length_20000", ""),
    (
        "template",
        "variables",
        ("v",) * 50,
        ("v",) * 51,
        "between_0_and_50_items",
        "",
    ),
    ("subscription", "timezone", "America/Los_Angeles", "PST", "iana_zone", ""),
]


@pytest.mark.parametrize(
    ("command", "name", "at", "past", "rule", "field"),
    LIMITS,
    ids=[f"{c}.{n}-{r or 'bound'}" for c, n, _, _, r, _ in LIMITS],
)
def test_a_command_is_accepted_at_each_bound_and_refused_past_it(
    command: str, name: str, at: Any, past: Any, rule: str, field: str
) -> None:
    base = BASE[command]
    check_command(attrs.evolve(base, **{name: at}))
    with pytest.raises(ValidationFailed) as err:
        check_command(attrs.evolve(base, **{name: past}))
    assert err.value.field == (field or name)
    if rule:
        assert err.value.rule == rule


def test_every_baseline_command_passes_its_checks() -> None:
    for command in BASE.values():
        check_command(command)


class NaiveClock:
    def now(self) -> datetime:
        return datetime(2026, 3, 2, 9)


class BerlinClock:
    def now(self) -> datetime:
        return datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Europe/Berlin"))


SERVICES: list[Any] = [
    CatalogService,
    PeopleService,
    BookingService,
    WaitlistService,
    LedgerService,
    TravelService,
    BillingService,
    ConversationService,
    PlatformSettingsService,
    Favourites,
    lambda db, clock: PaymentService(db, clock, gateway=MemoryPaymentGateway()),
    lambda db, clock: NotificationService(db, clock, renderer=JinjaRenderer()),
]


@pytest.mark.parametrize("make", SERVICES, ids=lambda s: getattr(s, "__name__", "service"))
def test_a_clock_that_is_not_aware_utc_is_refused_when_a_service_is_made(make: Any) -> None:
    database = MemoryDatabase()
    for clock in (NaiveClock(), BerlinClock()):
        with pytest.raises(ValidationFailed) as err:
            make(database, clock)
        assert (err.value.field, err.value.rule) == ("clock", "aware_utc")
    make(database, ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))


SESSION = new_uuid()
REFUSALS: list[tuple[Any, str, str]] = [
    (attrs.evolve(BASE["group"], child_ids=[[1]]), "child_ids[0]", "uuid"),
    (attrs.evolve(BASE["group"], session_id=str(SESSION)), "session_id", "uuid"),
    (attrs.evolve(BASE["venue"], name="a\x00b"), "name", "no_nul"),
    (attrs.evolve(BASE["venue"], name="\ud800"), "name", "utf8"),
    (
        attrs.evolve(BASE["venue"], insurance_coverage=Decimal("NaN")),
        "insurance_coverage",
        "finite",
    ),
    (
        attrs.evolve(BASE["venue"], insurance_expiry_date=datetime(2027, 1, 1)),
        "insurance_expiry_date",
        "date",
    ),
    (
        attrs.evolve(BASE["preferences"], budget_min=Money(Decimal("10.005"), "EUR")),
        "budget_min",
        "minor_unit",
    ),
    (attrs.evolve(BASE["trip"], currency="EURO"), "currency", "iso_4217"),
    (attrs.evolve(BASE["preferences"], timezone="Mars/Olympus"), "timezone", "iana_zone"),
    (attrs.evolve(BASE["partial"], credits=2**31), "credits", "max_1000000"),
    (attrs.evolve(BASE["partial"], credits=True), "credits", "integer"),
    (attrs.evolve(BASE["schedule"], start_time=datetime(2026, 1, 1, 9)), "start_time", "wall_time"),
    (attrs.evolve(BASE["announce"], priority="urgent"), "priority", "one_of"),
    (attrs.evolve(BASE["invoice"], tax_rate=Decimal("Infinity")), "tax_rate", "finite"),
]


@pytest.mark.parametrize(
    ("command", "field", "rule"), REFUSALS, ids=[f"{f}-{r}" for _, f, r in REFUSALS]
)
def test_malformed_values_are_refused_naming_the_field_and_the_rule(
    command: Any, field: str, rule: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_command(command)
    assert (err.value.field, err.value.rule) == (field, rule)
