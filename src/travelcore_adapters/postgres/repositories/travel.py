"""Repositories of the travel context: explicit row <-> entity mapping.

JSON columns (policy values, destinations, loyalty numbers, day details, flags) go through
travelcore's one converter; Money is a numeric column and a currency column. Itineraries
and trips own child rows (days, line items), rewritten by a save that changed them.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from psycopg.types.json import Jsonb
from sqlalchemy import Table, bindparam, delete, select

from travelcore.kernel import (
    Money,
    NotFound,
    TenantId,
    UserId,
    dumps,
    from_data,
    to_data,
)
from travelcore.travel import (
    CabinClass,
    Category,
    Itinerary,
    ItineraryDay,
    ItineraryId,
    ItineraryStatus,
    LineItem,
    PolicyKey,
    PolicyRule,
    Reminder,
    ReminderId,
    Severity,
    Tenant,
    TravelPreferences,
    Trip,
    TripId,
    TripStatus,
)
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.statements import Statement, insert_statement
from travelcore_adapters.postgres.tables.travel import itineraries as it
from travelcore_adapters.postgres.tables.travel import itinerary_days as days
from travelcore_adapters.postgres.tables.travel import reminders as rem
from travelcore_adapters.postgres.tables.travel import tenants as ten
from travelcore_adapters.postgres.tables.travel import travel_policies as pol
from travelcore_adapters.postgres.tables.travel import travel_preferences as pref
from travelcore_adapters.postgres.tables.travel import trip_items as items
from travelcore_adapters.postgres.tables.travel import trips as tr


def _json(value: Any) -> Jsonb:
    return Jsonb(to_data(value), dumps)


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount, currency)


# -- tenants, policies, preferences --------------------------------------------------------


class PostgresTenants(TableRepository[Tenant]):
    """The unit of work's own tenant record (one row)."""

    table, entity = ten, "tenant"

    def tenant_of(self, entity: Tenant) -> object:
        return entity.id

    def to_row(self, entity: Tenant) -> dict[str, Any]:
        return {
            "tenant_id": entity.id,
            "name": entity.name,
            "created_at": entity.created_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Tenant:
        return Tenant(
            id=TenantId(row.tenant_id),
            name=row.name,
            created_at=row.created_at,
            version=row.version,
        )

    def get(self) -> Tenant:  # type: ignore[override]
        found = self._find(())
        if found is None:
            raise NotFound("tenant", self._tid)
        return found

    def get_for_update(self, key: object = ()) -> Tenant:
        return super().get_for_update(())


class PostgresTravelPolicies(TableRepository[PolicyRule]):
    table, entity = pol, "policy rule"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: PolicyRule) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "policy_key": entity.key.value,
            "policy_value": _json(entity.value),
            "severity": entity.severity.value,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> PolicyRule:
        return PolicyRule(
            tenant_id=TenantId(row.tenant_id),
            key=PolicyKey(row.policy_key),
            value=row.policy_value,
            severity=Severity(row.severity),
            updated_at=row.updated_at,
            version=row.version,
        )

    def get(self, key: PolicyKey) -> PolicyRule:
        return super().get(key.value)

    def find(self, key: PolicyKey) -> PolicyRule | None:
        return self._find(key.value)

    def remove(self, key: PolicyKey) -> None:
        self._remove(key.value)

    def list(self) -> Sequence[PolicyRule]:
        return self._all(self._select().order_by(pol.c.policy_key))


class PostgresTravelPreferences(TableRepository[TravelPreferences]):
    table, entity = pref, "travel preferences"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: TravelPreferences) -> dict[str, Any]:
        low, high = entity.budget_min, entity.budget_max
        return {
            "tenant_id": entity.tenant_id,
            "user_id": entity.user_id,
            "seat_class": None if entity.seat_class is None else entity.seat_class.value,
            "hotel_rating": entity.hotel_rating,
            "budget_min": None if low is None else low.amount,
            "budget_min_currency": None if low is None else low.currency,
            "budget_max": None if high is None else high.amount,
            "budget_max_currency": None if high is None else high.currency,
            "loyalty_numbers": _json(entity.loyalty_numbers),
            "language": entity.language,
            "timezone": entity.timezone,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> TravelPreferences:
        return TravelPreferences(
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            seat_class=None if row.seat_class is None else CabinClass(row.seat_class),
            hotel_rating=row.hotel_rating,
            budget_min=_money(row.budget_min, row.budget_min_currency),
            budget_max=_money(row.budget_max, row.budget_max_currency),
            loyalty_numbers=from_data(row.loyalty_numbers, dict[str, str]),
            language=row.language,
            timezone=row.timezone,
            version=row.version,
        )

    def find(self, user_id: UserId) -> TravelPreferences | None:
        return self._find(user_id)


# -- entities with child rows --------------------------------------------------------------

E = TypeVar("E")
C = TypeVar("C")


@functools.cache
def _children_of(table: Table, parent_column: str) -> Statement:
    """The rows of ``table`` that belong to the parent ``:parent``, in position order."""
    return Statement(
        select(table)
        .where(table.c.tenant_id == bindparam("tid"), table.c[parent_column] == bindparam("parent"))
        .order_by(table.c.position)
    )


class WithChildren(TableRepository[E], Generic[E, C]):
    """An entity whose ``children`` live in ``child_table`` (keyed by the parent's id and a
    position); a save rewrites them when they changed."""

    child_table: Table
    parent_column: str

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._known: dict[Any, tuple[C, ...]] = {}
        self._of = _children_of(self.child_table, self.parent_column)

    def children(self, entity: E) -> tuple[C, ...]:
        raise NotImplementedError

    def child_row(self, entity: E, position: int, child: C) -> dict[str, Any]:
        raise NotImplementedError

    def to_child(self, row: Any) -> C:
        raise NotImplementedError

    def _entities(self, rows: Sequence[Any]) -> builtins.list[E]:
        queries = [(self._of, {"tid": self._tid, "parent": row.id}) for row in rows]
        for row, found in zip(rows, self._scope.rows_of_all(queries), strict=True):
            self._known[row.id] = tuple(self.to_child(r) for r in found)
        return super()._entities(rows)

    def _write_children(self, entity: E, *, added: bool) -> None:
        parent = entity.id  # type: ignore[attr-defined]
        children = self.children(entity)
        known = () if added else self._known.get(parent)
        if known == children:
            return
        if known != ():
            t = self.child_table
            self._scope.execute(
                delete(t).where(t.c.tenant_id == self._tid, t.c[self.parent_column] == parent)
            )
        rows = [self.child_row(entity, n, child) for n, child in enumerate(children)]
        self._scope.write_many(insert_statement(self.child_table, "error"), rows)
        self._known[parent] = children


class PostgresItineraries(WithChildren[Itinerary, ItineraryDay]):
    table, entity = it, "itinerary"
    child_table, parent_column = days, "itinerary_id"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: Itinerary) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "start_date": entity.starts_on,
            "end_date": entity.ends_on,
            "destinations": _json(entity.destinations),
            "is_draft": entity.status is ItineraryStatus.DRAFT,
            "created_at": entity.created_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Itinerary:
        return Itinerary(
            id=ItineraryId(row.id),
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            starts_on=row.start_date,
            ends_on=row.end_date,
            destinations=from_data(row.destinations, tuple[str, ...]),
            days=self._known.get(row.id, ()),
            status=ItineraryStatus.DRAFT if row.is_draft else ItineraryStatus.BOOKED,
            created_at=row.created_at,
            version=row.version,
        )

    def children(self, entity: Itinerary) -> tuple[ItineraryDay, ...]:
        return entity.days

    def child_row(self, entity: Itinerary, position: int, child: ItineraryDay) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "itinerary_id": entity.id,
            "position": position,
            "date": child.day,
            "activity_type": child.activity_type,
            "activity_details": _json(child.details),
        }

    def to_child(self, row: Any) -> ItineraryDay:
        return ItineraryDay(
            day=row.date,
            activity_type=row.activity_type,
            details=from_data(row.activity_details, dict[str, str]),
        )

    def list(
        self, *, user_id: UserId | None = None, status: ItineraryStatus | None = None
    ) -> Sequence[Itinerary]:
        where = []
        if user_id is not None:
            where.append(it.c.user_id == user_id)
        if status is not None:
            where.append(it.c.is_draft.is_(status is ItineraryStatus.DRAFT))
        return self._all(self._select(*where).order_by(it.c.start_date, it.c.created_at, it.c.id))


class PostgresTrips(WithChildren[Trip, LineItem]):
    table, entity = tr, "trip"
    child_table, parent_column = items, "trip_id"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: Trip) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "user_id": entity.user_id,
            "itinerary_id": entity.itinerary_id,
            "currency": entity.currency,
            "total_amount": entity.total.amount,
            "destinations": _json(entity.destinations),
            "status": entity.status.value,
            "policy_flags": _json(entity.policy_flags),
            "created_at": entity.created_at,
            "updated_at": entity.updated_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Trip:
        return Trip(
            id=TripId(row.id),
            tenant_id=TenantId(row.tenant_id),
            user_id=UserId(row.user_id),
            itinerary_id=None if row.itinerary_id is None else ItineraryId(row.itinerary_id),
            currency=row.currency,
            items=self._known.get(row.id, ()),
            destinations=from_data(row.destinations, tuple[str, ...]),
            status=TripStatus(row.status),
            policy_flags=from_data(row.policy_flags, tuple[str, ...]),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    def children(self, entity: Trip) -> tuple[LineItem, ...]:
        return entity.items

    def child_row(self, entity: Trip, position: int, child: LineItem) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "trip_id": entity.id,
            "position": position,
            "kind": child.kind.value,
            "provider": child.provider,
            "external_ref": child.external_ref,
            "unit_price": child.unit_price.amount,
            "currency": child.unit_price.currency,
            "quantity": child.quantity,
            "starts_on": child.starts_on,
            "ends_on": child.ends_on,
            "description": child.description,
            "destination": child.destination,
            "cabin_class": None if child.cabin_class is None else child.cabin_class.value,
            "hotel_stars": child.hotel_stars,
        }

    def to_child(self, row: Any) -> LineItem:
        return LineItem(
            kind=Category(row.kind),
            provider=row.provider,
            external_ref=row.external_ref,
            unit_price=Money(row.unit_price, row.currency),
            quantity=row.quantity,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            description=row.description,
            destination=row.destination,
            cabin_class=None if row.cabin_class is None else CabinClass(row.cabin_class),
            hotel_stars=row.hotel_stars,
        )

    def list(self, *, user_id: UserId | None = None) -> Sequence[Trip]:
        where = [] if user_id is None else [tr.c.user_id == user_id]
        return self._all(self._select(*where).order_by(tr.c.created_at, tr.c.id))


# -- reminders -----------------------------------------------------------------------------


class PostgresReminders(TableRepository[Reminder]):
    """``due`` locks the reminders it finds: job runners sending at once queue, and each
    finds only the reminders the ones before it left unsent. ``for_trip`` locks them too
    (a cancelled trip's unsent reminders are withdrawn: a sender queues behind the
    cancel, or the cancel behind the sender and then finds them sent)."""

    table, entity = rem, "reminder"
    due_lock: ClassVar[bool] = True
    trip_lock: ClassVar[bool] = True

    def to_row(self, entity: Reminder) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "id": entity.id,
            "trip_id": entity.trip_id,
            "user_id": entity.user_id,
            "due_at": entity.due_at,
            "message": entity.message,
            "sent_at": entity.sent_at,
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> Reminder:
        return Reminder(
            id=ReminderId(row.id),
            tenant_id=TenantId(row.tenant_id),
            trip_id=TripId(row.trip_id),
            user_id=UserId(row.user_id),
            due_at=row.due_at,
            message=row.message,
            sent_at=row.sent_at,
            version=row.version,
        )

    def remove(self, reminder_id: ReminderId) -> None:
        self._remove(reminder_id)

    def for_trip(self, trip_id: TripId) -> Sequence[Reminder]:
        query = self._select(rem.c.trip_id == trip_id).order_by(rem.c.due_at, rem.c.id)
        return self._all(query.with_for_update() if self.trip_lock else query)

    def due(self, now: datetime) -> Sequence[Reminder]:
        query = self._select(rem.c.sent_at.is_(None), rem.c.due_at <= now)
        query = query.order_by(rem.c.due_at, rem.c.id)
        return self._all(query.with_for_update(key_share=True) if self.due_lock else query)
