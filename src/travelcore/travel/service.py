"""Use cases of the travel context. Each mutating one takes an idempotency key, optional on
the set-up commands (the tenant, its policy rules, travel preferences)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import attrs

from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    Command,
    Money,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    new_uuid,
    require_tenant,
    run_command,
    zone,
)
from travelcore.kernel import validation as v
from travelcore.travel import access
from travelcore.travel.analytics import Period, SpendReport, spend_report
from travelcore.travel.events import ReminderDue, TripBooked, TripCancelled
from travelcore.travel.model import (
    DEFAULT_REMINDERS,
    CabinClass,
    Category,
    Itinerary,
    ItineraryDay,
    ItineraryId,
    ItineraryStatus,
    LineItem,
    Reminder,
    ReminderId,
    ReminderOffset,
    Tenant,
    TravelPreferences,
    Trip,
    TripId,
    TripStatus,
)
from travelcore.travel.policy import Finding, Plan, PolicyKey, PolicyRule, Severity, check, enforce
from travelcore.travel.ports import TravelUnitOfWork

TravelUowFactory = Callable[[TenantId], TravelUnitOfWork]


@attrs.frozen(kw_only=True)
class RegisterTenant:
    tenant_id: TenantId
    name: str
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class SetPolicyRule:
    tenant_id: TenantId
    key: PolicyKey
    value: Any
    severity: Severity = Severity.REFUSAL
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class RemovePolicyRule:
    tenant_id: TenantId
    key: PolicyKey
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class SetTravelPreferences:
    tenant_id: TenantId
    user_id: UserId
    seat_class: CabinClass | None = None
    hotel_rating: int | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    loyalty_numbers: dict[str, str] = attrs.field(factory=dict)
    language: str = "en"
    timezone: str = "UTC"
    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class DraftItinerary:
    tenant_id: TenantId
    user_id: UserId
    starts_on: date
    ends_on: date
    destinations: tuple[str, ...]
    days: tuple[ItineraryDay, ...] = ()
    idempotency_key: str


@attrs.frozen(kw_only=True)
class AddItineraryDay:
    tenant_id: TenantId
    itinerary_id: ItineraryId
    day: ItineraryDay
    idempotency_key: str


@attrs.frozen(kw_only=True)
class BookTrip:
    tenant_id: TenantId
    user_id: UserId
    currency: str
    items: tuple[LineItem, ...]
    itinerary_id: ItineraryId | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class ChangeTrip:
    """Confirm or cancel a trip."""

    tenant_id: TenantId
    trip_id: TripId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class SendDueReminders:
    tenant_id: TenantId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PlanResult:
    """The new itinerary or trip and the policy warnings it is flagged with."""

    id: UUID
    warnings: tuple[Finding, ...] = ()
    total: Money | None = None


@attrs.frozen(kw_only=True)
class SentReminders:
    reminder_ids: tuple[ReminderId, ...]


R = TypeVar("R")


class TravelService:
    """Tenants, policies, preferences, itineraries, trips, reminders and spend analytics."""

    def __init__(
        self,
        uow_factory: TravelUowFactory,
        clock: Clock,
        *,
        reminder_offsets: Sequence[ReminderOffset] = DEFAULT_REMINDERS,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._offsets = tuple(reminder_offsets)

    def _run(
        self,
        cmd: Command,
        result_type: type[R],
        action: Callable[[TravelUnitOfWork, datetime], R],
        actor: Actor,
    ) -> R:
        """``action`` for ``cmd`` through :func:`run_command`."""
        return run_command(self._uow, self._clock, cmd, result_type, action, actor=actor)

    # tenants and policies -------------------------------------------------------------

    def register_tenant(self, cmd: RegisterTenant, *, actor: Actor) -> Tenant:
        def action(uow: TravelUnitOfWork, now: datetime) -> Tenant:
            access.administer(actor)
            tenant = Tenant(id=cmd.tenant_id, name=cmd.name, created_at=now)
            uow.tenants.add(tenant)
            return tenant

        return self._run(cmd, Tenant, action, actor)

    def set_policy_rule(self, cmd: SetPolicyRule, *, actor: Actor) -> PolicyRule:
        """Create or replace the tenant's rule for ``cmd.key`` (value validated first)."""

        def action(uow: TravelUnitOfWork, now: datetime) -> PolicyRule:
            access.administer(actor)
            uow.tenants.get()
            current = uow.travel_policies.find(cmd.key)
            rule = PolicyRule(
                tenant_id=cmd.tenant_id,
                key=cmd.key,
                value=cmd.value,
                severity=cmd.severity,
                updated_at=now,
                version=1 if current is None else current.version,
            )
            if current is None:
                uow.travel_policies.add(rule)
            else:
                uow.travel_policies.save(rule)
            return rule

        return self._run(cmd, PolicyRule, action, actor)

    def remove_policy_rule(self, cmd: RemovePolicyRule, *, actor: Actor) -> bool:
        def action(uow: TravelUnitOfWork, now: datetime) -> bool:
            access.administer(actor)
            if uow.travel_policies.find(cmd.key) is None:
                return False
            uow.travel_policies.remove(cmd.key)
            return True

        return self._run(cmd, bool, action, actor)

    def policy_rules(self, tenant_id: TenantId, *, actor: Actor) -> Sequence[PolicyRule]:
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            return uow.travel_policies.list()

    def check_plan(self, tenant_id: TenantId, plan: Plan, *, actor: Actor) -> tuple[Finding, ...]:
        """Every rule of the tenant that ``plan`` breaks (nothing is raised or written)."""
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            return check(uow.travel_policies.list(), plan, self._clock.now().date())

    # preferences ------------------------------------------------------------------------

    def set_preferences(self, cmd: SetTravelPreferences, *, actor: Actor) -> TravelPreferences:
        def action(uow: TravelUnitOfWork, now: datetime) -> TravelPreferences:
            access.travel(actor, cmd.user_id)
            current = uow.travel_preferences.find(cmd.user_id)
            fields = attrs.asdict(cmd, recurse=False)
            del fields["idempotency_key"]
            preferences = TravelPreferences(
                **fields, version=1 if current is None else current.version
            )
            if current is None:
                uow.travel_preferences.add(preferences)
            else:
                uow.travel_preferences.save(preferences)
            return preferences

        return self._run(cmd, TravelPreferences, action, actor)

    def preferences(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> TravelPreferences:
        """The user's preferences, or the defaults if none were set."""
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            found = uow.travel_preferences.find(user_id)
        return found or TravelPreferences(tenant_id=tenant_id, user_id=user_id)

    # itineraries -----------------------------------------------------------------------

    def draft_itinerary(self, cmd: DraftItinerary, *, actor: Actor) -> PlanResult:
        """A new draft; refused if a refusal rule breaks, else flagged with the warnings."""

        def action(uow: TravelUnitOfWork, now: datetime) -> PlanResult:
            access.travel(actor, cmd.user_id)
            uow.tenants.get()
            itinerary = Itinerary(
                id=ItineraryId(new_uuid()),
                tenant_id=cmd.tenant_id,
                user_id=cmd.user_id,
                starts_on=cmd.starts_on,
                ends_on=cmd.ends_on,
                destinations=cmd.destinations,
                days=tuple(sorted(cmd.days, key=lambda d: d.day)),
                created_at=now,
            )
            today = self._today(uow, cmd.user_id, now)
            rules = uow.travel_policies.list()
            warnings = enforce(check(rules, Plan(starts_on=cmd.starts_on), today))
            uow.itineraries.add(itinerary)
            return PlanResult(id=itinerary.id, warnings=warnings)

        return self._run(cmd, PlanResult, action, actor)

    def add_itinerary_day(self, cmd: AddItineraryDay, *, actor: Actor) -> Itinerary:
        def action(uow: TravelUnitOfWork, now: datetime) -> Itinerary:
            current = uow.itineraries.get(cmd.itinerary_id)
            access.travel(actor, current.user_id)
            itinerary = current.with_day(cmd.day)
            uow.itineraries.save(itinerary)
            return itinerary

        return self._run(cmd, Itinerary, action, actor)

    def itinerary(
        self, tenant_id: TenantId, itinerary_id: ItineraryId, *, actor: Actor
    ) -> Itinerary:
        v.ids(itinerary_id=itinerary_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            itinerary = uow.itineraries.get(itinerary_id)
        access.read(actor, itinerary.user_id)
        return itinerary

    def itineraries(
        self,
        tenant_id: TenantId,
        *,
        user_id: UserId | None = None,
        status: ItineraryStatus | None = None,
        actor: Actor,
    ) -> Sequence[Itinerary]:
        """Drafts or booked itineraries of one user, or of the whole tenant."""
        v.optional(v.uuid)(user_id, "user_id")
        v.optional(v.member(ItineraryStatus))(status, "status")
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.itineraries.list(user_id=user_id, status=status)

    # trips -----------------------------------------------------------------------------

    def book_trip(self, cmd: BookTrip, *, actor: Actor) -> PlanResult:
        """Book line items (and turn the itinerary from draft to booked, atomically)."""

        def action(uow: TravelUnitOfWork, now: datetime) -> PlanResult:
            access.travel(actor, cmd.user_id)
            uow.tenants.get()
            destinations = tuple(dict.fromkeys(i.destination for i in cmd.items if i.destination))
            if cmd.itinerary_id is not None:
                itinerary = uow.itineraries.get(cmd.itinerary_id)
                if itinerary.user_id != cmd.user_id:
                    raise AccessDenied("the itinerary belongs to another user")
                for item in cmd.items:
                    if not itinerary.starts_on <= item.starts_on <= itinerary.ends_on:
                        raise ValidationFailed("items", "within_itinerary_dates")
                uow.itineraries.save(itinerary.booked())
                destinations = itinerary.destinations
            trip = Trip(
                id=TripId(new_uuid()),
                tenant_id=cmd.tenant_id,
                user_id=cmd.user_id,
                itinerary_id=cmd.itinerary_id,
                currency=cmd.currency,
                items=cmd.items,
                destinations=destinations,
                created_at=now,
                updated_at=now,
            )
            today = self._today(uow, cmd.user_id, now)
            plan = Plan(starts_on=trip.departs_on, items=trip.items)
            warnings = enforce(check(uow.travel_policies.list(), plan, today))
            trip = attrs.evolve(trip, policy_flags=tuple(str(w.rule) for w in warnings))
            uow.trips.add(trip)
            self._schedule_reminders(uow, trip, now)
            uow.emit(
                TripBooked(
                    tenant_id=cmd.tenant_id,
                    occurred_at=now,
                    trip_id=trip.id,
                    user_id=trip.user_id,
                    itinerary_id=trip.itinerary_id,
                    total=trip.total,
                )
            )
            return PlanResult(id=trip.id, warnings=warnings, total=trip.total)

        return self._run(cmd, PlanResult, action, actor)

    def confirm_trip(self, cmd: ChangeTrip, *, actor: Actor) -> Trip:
        def action(uow: TravelUnitOfWork, now: datetime) -> Trip:
            current = uow.trips.get(cmd.trip_id)
            access.travel(actor, current.user_id)
            trip = current.confirmed(now)
            uow.trips.save(trip)
            return trip

        return self._run(cmd, Trip, action, actor)

    def cancel_trip(self, cmd: ChangeTrip, *, actor: Actor) -> Trip:
        """Cancel a trip; its unsent reminders are withdrawn."""

        def action(uow: TravelUnitOfWork, now: datetime) -> Trip:
            current = uow.trips.get(cmd.trip_id)
            access.travel(actor, current.user_id)
            trip = current.cancelled(now)
            uow.trips.save(trip)
            for reminder in uow.reminders.for_trip(trip.id):
                if reminder.sent_at is None:
                    uow.reminders.remove(reminder.id)
            uow.emit(
                TripCancelled(
                    tenant_id=cmd.tenant_id,
                    occurred_at=now,
                    trip_id=trip.id,
                    user_id=trip.user_id,
                )
            )
            return trip

        return self._run(cmd, Trip, action, actor)

    def trip(self, tenant_id: TenantId, trip_id: TripId, *, actor: Actor) -> Trip:
        v.ids(trip_id=trip_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            trip = uow.trips.get(trip_id)
        access.read(actor, trip.user_id)
        return trip

    def trips(
        self, tenant_id: TenantId, *, user_id: UserId | None = None, actor: Actor
    ) -> Sequence[Trip]:
        v.optional(v.uuid)(user_id, "user_id")
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.trips.list(user_id=user_id)

    def history(self, tenant_id: TenantId, user_id: UserId, *, actor: Actor) -> Sequence[Trip]:
        """Confirmed trips that have already departed, most recent first."""
        require_tenant(actor, tenant_id)
        today = self._clock.now().date()
        past = [
            t
            for t in self.trips(tenant_id, user_id=user_id, actor=actor)
            if t.status is TripStatus.CONFIRMED and t.departs_on <= today
        ]
        return sorted(past, key=lambda t: t.departs_on, reverse=True)

    def spend(
        self, tenant_id: TenantId, period: Period, *, user_id: UserId | None = None, actor: Actor
    ) -> SpendReport:
        """Spend per period, currency and category for one user or the whole tenant."""
        require_tenant(actor, tenant_id)
        return spend_report(self.trips(tenant_id, user_id=user_id, actor=actor), period)

    # reminders -------------------------------------------------------------------------

    def due_reminders(self, tenant_id: TenantId, *, actor: Actor) -> Sequence[Reminder]:
        require_tenant(actor, tenant_id)
        access.remind(actor)
        with self._uow(tenant_id) as uow:
            return uow.reminders.due(self._clock.now())

    def send_due_reminders(self, cmd: SendDueReminders, *, actor: Actor) -> SentReminders:
        """Mark every due reminder sent and publish one ``ReminderDue`` each, after commit."""

        def action(uow: TravelUnitOfWork, now: datetime) -> SentReminders:
            access.remind(actor)
            sent = []
            for reminder in uow.reminders.due(now):
                uow.reminders.save(reminder.sent(now))
                uow.emit(
                    ReminderDue(
                        tenant_id=cmd.tenant_id,
                        occurred_at=now,
                        reminder_id=reminder.id,
                        trip_id=reminder.trip_id,
                        user_id=reminder.user_id,
                        message=reminder.message,
                    )
                )
                sent.append(reminder.id)
            return SentReminders(reminder_ids=tuple(sent))

        return self._run(cmd, SentReminders, action, actor)

    # helpers ---------------------------------------------------------------------------

    def _today(self, uow: TravelUnitOfWork, user_id: UserId, now: datetime) -> date:
        preferences = uow.travel_preferences.find(user_id)
        timezone = preferences.timezone if preferences else "UTC"
        return now.astimezone(zone(timezone)).date()

    def _schedule_reminders(self, uow: TravelUnitOfWork, trip: Trip, now: datetime) -> None:
        preferences = uow.travel_preferences.find(trip.user_id)
        timezone = preferences.timezone if preferences else "UTC"
        where = ", ".join(trip.destinations) or "your trip"
        for offset in self._offsets:
            due_at = offset.due_at(trip.departs_on, timezone)
            if due_at <= now:
                continue
            days = offset.days_before
            when = "tomorrow" if days == 1 else "today" if days == 0 else f"in {days} days"
            uow.reminders.add(
                Reminder(
                    id=ReminderId(new_uuid()),
                    tenant_id=trip.tenant_id,
                    trip_id=trip.id,
                    user_id=trip.user_id,
                    due_at=due_at,
                    message=f"Your trip to {where} departs {when} ({trip.departs_on}).",
                )
            )


# -- boundary checks -----------------------------------------------------------------------

MAX_LINE_ITEMS = 50
MAX_ITINERARY_DAYS = 366
MAX_DESTINATIONS = 20
MAX_QUANTITY = 1_000
_KEY = v.text(255)
_TEXT = v.text(255, min_length=0)
v.validated(
    ItineraryDay,
    day=v.day,
    activity_type=v.text(50),
    details=v.entries(v.text(64), v.text(2_000, min_length=0), min_items=0, max_items=50),
)
v.validated(
    LineItem,
    kind=v.member(Category),
    provider=v.text(50),
    external_ref=v.text(100),
    unit_price=v.money(),
    quantity=v.integer(1, MAX_QUANTITY),
    starts_on=v.day,
    ends_on=v.optional(v.day),
    description=_TEXT,
    destination=v.text(100, min_length=0),
    cabin_class=v.optional(v.member(CabinClass)),
    hotel_stars=v.optional(v.integer(1, 5, rule="between_1_and_5")),
)
v.validated(RegisterTenant, tenant_id=v.uuid, name=v.text(200), idempotency_key=v.optional(_KEY))
v.validated(
    SetPolicyRule,
    tenant_id=v.uuid,
    key=v.member(PolicyKey),
    value=v.json_value(max_items=10, max_depth=2, max_length=100),
    severity=v.member(Severity),
    idempotency_key=v.optional(_KEY),
)
v.validated(
    RemovePolicyRule, tenant_id=v.uuid, key=v.member(PolicyKey), idempotency_key=v.optional(_KEY)
)
v.validated(
    SetTravelPreferences,
    tenant_id=v.uuid,
    user_id=v.uuid,
    seat_class=v.optional(v.member(CabinClass)),
    hotel_rating=v.optional(v.integer(1, 5, rule="between_1_and_5")),
    budget_min=v.optional(v.money()),
    budget_max=v.optional(v.money()),
    loyalty_numbers=v.entries(v.text(50), v.text(100), min_items=0, max_items=20),
    language=v.text(10),
    timezone=v.time_zone,
    idempotency_key=v.optional(_KEY),
)
v.validated(
    DraftItinerary,
    tenant_id=v.uuid,
    user_id=v.uuid,
    starts_on=v.day,
    ends_on=v.day,
    destinations=v.items(v.text(100), max_items=MAX_DESTINATIONS),
    days=v.items(v.record(ItineraryDay), max_items=MAX_ITINERARY_DAYS),
    idempotency_key=_KEY,
)
v.validated(
    AddItineraryDay,
    tenant_id=v.uuid,
    itinerary_id=v.uuid,
    day=v.record(ItineraryDay),
    idempotency_key=_KEY,
)
v.validated(
    BookTrip,
    tenant_id=v.uuid,
    user_id=v.uuid,
    currency=v.currency,
    items=v.items(v.record(LineItem), max_items=MAX_LINE_ITEMS),
    itinerary_id=v.optional(v.uuid),
    idempotency_key=_KEY,
)
v.validated(ChangeTrip, tenant_id=v.uuid, trip_id=v.uuid, idempotency_key=_KEY)
v.validated(SendDueReminders, tenant_id=v.uuid, idempotency_key=_KEY)
