"""The business-trip planner: the tenant's policies, itineraries (draft until booked), trips
with their line items, payments, reminders and spend reports. A traveller acts on their
own plans: ``user_id`` comes from the actor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from examples.api.bodies import Body, body_of, command, out
from examples.api.deps import IdempotencyKey, Paging, Svc, Who, page, page_of
from travelcore.kernel import to_data
from travelcore.payments import Payment, PaymentResult, PayTrip
from travelcore.travel import (
    AddItineraryDay,
    BookTrip,
    ChangeTrip,
    DraftItinerary,
    Itinerary,
    ItineraryDay,
    ItineraryId,
    Period,
    PlanResult,
    PolicyKey,
    PolicyRule,
    Reminder,
    RemovePolicyRule,
    SetPolicyRule,
    Severity,
    SpendReport,
    Trip,
    TripId,
)


class Removed(BaseModel):
    removed: bool


router = APIRouter(prefix="/travel", tags=["business trips"])
Json = dict[str, Any]

CONTEXT = frozenset({"tenant_id", "user_id", "idempotency_key"})
if TYPE_CHECKING:  # models made at run time from the commands: request bodies to mypy
    DraftBody = Body
    DayBody = Body
    TripBody = Body
else:
    DraftBody = body_of(DraftItinerary, CONTEXT)
    DayBody = body_of(ItineraryDay)
    TripBody = body_of(BookTrip, CONTEXT)


def data(value: Any) -> Json:
    result: Json = to_data(value)
    return result


@router.get(
    "/policies", summary="The tenant's travel policy rules", response_model=page_of(PolicyRule)
)
def policies(who: Who, svc: Svc, paging: Paging) -> Json:
    return page(svc.app.travel.policy_rules(who.tenant_id, actor=who), paging)


class RuleBody(BaseModel):
    value: Any
    severity: Severity = Severity.REFUSAL


@router.put("/policies/{key}", summary="Set a policy rule", response_model=out(PolicyRule))
def set_policy(key: PolicyKey, body: RuleBody, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    """``value``'s shape depends on the rule: ``{"max": "premium_economy"}`` for
    ``cabin_class``, ``{"amount": "160.00", "currency": "EUR"}`` for ``per_night_cap``,
    ``{"min_days": 14}`` for ``advance_booking``; a ``warning`` flags, a ``refusal``
    refuses."""
    cmd = SetPolicyRule(
        tenant_id=who.tenant_id,
        key=key,
        value=body.value,
        severity=body.severity,
        idempotency_key=idem,
    )
    return data(svc.app.travel.set_policy_rule(cmd, actor=who))


@router.delete("/policies/{key}", summary="Remove a policy rule", response_model=Removed)
def remove_policy(key: PolicyKey, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    cmd = RemovePolicyRule(tenant_id=who.tenant_id, key=key, idempotency_key=idem)
    return {"removed": svc.app.travel.remove_policy_rule(cmd, actor=who)}


@router.post(
    "/itineraries", status_code=201, summary="Draft an itinerary", response_model=out(PlanResult)
)
def draft(body: DraftBody, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    """A draft until a trip is booked on it; policy warnings come back with it."""
    cmd = command(
        DraftItinerary, body, tenant_id=who.tenant_id, user_id=who.user_id, idempotency_key=idem
    )
    return data(svc.app.travel.draft_itinerary(cmd, actor=who))


@router.get(
    "/itineraries", summary="The traveller's itineraries", response_model=page_of(Itinerary)
)
def itineraries(who: Who, svc: Svc, paging: Paging) -> Json:
    return page(svc.app.travel.itineraries(who.tenant_id, user_id=who.user_id, actor=who), paging)


@router.get("/itineraries/{itinerary_id}", summary="An itinerary", response_model=out(Itinerary))
def itinerary(itinerary_id: UUID, who: Who, svc: Svc) -> Json:
    return data(svc.app.travel.itinerary(who.tenant_id, ItineraryId(itinerary_id), actor=who))


@router.post(
    "/itineraries/{itinerary_id}/days",
    summary="Add a day to an itinerary",
    response_model=out(Itinerary),
)
def add_day(itinerary_id: UUID, body: DayBody, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    cmd = AddItineraryDay(
        tenant_id=who.tenant_id,
        itinerary_id=ItineraryId(itinerary_id),
        day=command(ItineraryDay, body),
        idempotency_key=idem,
    )
    return data(svc.app.travel.add_itinerary_day(cmd, actor=who))


@router.post(
    "/trips",
    status_code=201,
    summary="Book a trip with its line items",
    response_model=out(PlanResult),
)
def book_trip(body: TripBody, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    """Flight = fare x passengers, hotel = price per night x nights, car = price per day
    x days, tour = price per person x participants; one currency."""
    cmd = command(
        BookTrip, body, tenant_id=who.tenant_id, user_id=who.user_id, idempotency_key=idem
    )
    return data(svc.app.travel.book_trip(cmd, actor=who))


@router.get("/trips", summary="The traveller's trips", response_model=page_of(Trip))
def trips(who: Who, svc: Svc, paging: Paging) -> Json:
    return page(svc.app.travel.trips(who.tenant_id, user_id=who.user_id, actor=who), paging)


@router.get("/trips/{trip_id}", summary="A trip", response_model=out(Trip))
def trip(trip_id: UUID, who: Who, svc: Svc) -> Json:
    return data(svc.app.travel.trip(who.tenant_id, TripId(trip_id), actor=who))


@router.post("/trips/{trip_id}/cancel", summary="Cancel a trip", response_model=out(Trip))
def cancel_trip(trip_id: UUID, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    cmd = ChangeTrip(tenant_id=who.tenant_id, trip_id=TripId(trip_id), idempotency_key=idem)
    return data(svc.app.travel.cancel_trip(cmd, actor=who))


class PayBody(BaseModel):
    payment_method: str


@router.post(
    "/trips/{trip_id}/payments",
    status_code=201,
    summary="Pay what is due",
    response_model=out(PaymentResult),
)
def pay(trip_id: UUID, body: PayBody, who: Who, idem: IdempotencyKey, svc: Svc) -> Json:
    """Charges the trip's open amount through the app's payment gateway; the provider's
    idempotency key derives from ``Idempotency-Key``."""
    cmd = PayTrip(
        tenant_id=who.tenant_id,
        trip_id=TripId(trip_id),
        payment_method=body.payment_method,
        idempotency_key=idem,
    )
    return data(svc.app.payments.pay(cmd, actor=who))


@router.get(
    "/trips/{trip_id}/payments", summary="A trip's payments", response_model=page_of(Payment)
)
def payments(trip_id: UUID, who: Who, svc: Svc, paging: Paging) -> Json:
    svc.app.travel.trip(who.tenant_id, TripId(trip_id), actor=who)
    return page(
        svc.app.payments.payments_for_trip(who.tenant_id, TripId(trip_id), actor=who), paging
    )


@router.get("/reminders", summary="Trip reminders due now", response_model=page_of(Reminder))
def reminders(who: Who, svc: Svc, paging: Paging) -> Json:
    return page(svc.app.travel.due_reminders(who.tenant_id, actor=who), paging)


@router.get(
    "/spend", summary="Spend per period, currency and category", response_model=out(SpendReport)
)
def spend(who: Who, svc: Svc, period: Period = Period.MONTH) -> Json:
    return data(svc.app.travel.spend(who.tenant_id, period, user_id=who.user_id, actor=who))
