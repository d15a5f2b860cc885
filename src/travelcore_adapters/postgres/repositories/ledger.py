"""The ledger's ``LedgerRepository`` (over ``credit_balances``, ``credit_ledger`` and
``credit_holds``) and ``SubscriptionRepository`` (``corporate_subscriptions``,
``subscription_seats``).

``save`` is optimistic: ``UPDATE credit_balances ... WHERE version = :v`` touching no row
means someone else saved first (``StaleVersion``). Entries are only ever inserted (those
beyond the stored ones, which must be an unchanged prefix); holds are upserted when they
changed. What was read in this unit of work is remembered, so a save after a get needs no
second read of the entries, and a second read of an unchanged balance reads only its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs
from sqlalchemy import bindparam, select

from travelcore.kernel import Money, TenantId, UserId, check_tenant, check_version, saved
from travelcore.ledger import (
    BalanceId,
    BillingPeriod,
    CreditBalance,
    EntryId,
    EntryType,
    Hold,
    HoldId,
    HoldStatus,
    LedgerEntry,
    LedgerIsAppendOnly,
)
from travelcore.ledger.subscription import (
    CorporateId,
    CorporateSubscription,
    SeatAllocations,
    SubscriptionId,
    SubscriptionStatus,
    SubscriptionTier,
)
from travelcore_adapters.postgres.repositories.base import TableRepository
from travelcore_adapters.postgres.repositories.scope import PostgresScope, Query
from travelcore_adapters.postgres.statements import (
    Statement,
    get_statement,
    insert_statement,
    insert_values,
    version_statement,
)
from travelcore_adapters.postgres.tables.ledger import corporate_subscriptions as s
from travelcore_adapters.postgres.tables.ledger import credit_balances as b
from travelcore_adapters.postgres.tables.ledger import credit_holds as h
from travelcore_adapters.postgres.tables.ledger import credit_ledger as e
from travelcore_adapters.postgres.tables.ledger import subscription_seats as seats

# -- row <-> entity ------------------------------------------------------------------------


def balance_figures(balance: CreditBalance) -> dict[str, Any]:
    """The columns of a balance row that change as entries and holds are added."""
    return {
        "credits_allocated": balance.allocated,
        "credits_balance": balance.balance,
        "credits_held": balance.held,
        "credits_available": balance.available,
        "credits_used": balance.used,
        "credits_refunded": balance.refunded,
        "credits_forfeited": balance.forfeited,
        "is_closed": balance.is_closed,
        "expiry_warning_sent_at": balance.expiry_warning_sent_at,
    }


def balance_row(balance: CreditBalance) -> dict[str, Any]:
    return {
        "tenant_id": balance.tenant_id,
        "id": balance.id,
        "user_id": balance.user_id,
        "billing_period_start": balance.period.start,
        "billing_period_end": balance.period.end,
        "created_at": balance.created_at,
        "version": balance.version,
        "timezone": balance.timezone,
        **balance_figures(balance),
    }


def entry_row(tenant_id: TenantId, entry: LedgerEntry) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": entry.id,
        "balance_id": entry.balance_id,
        "sequence": entry.sequence,
        "entry_type": entry.entry_type.value,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "created_at": entry.created_at,
        "actor": entry.actor,
        "reason": entry.reason,
        "booking_id": entry.booking_id,
        "reverses": entry.reverses,
        "idempotency_key": entry.idempotency_key,
    }


def hold_row(tenant_id: TenantId, position: int, hold: Hold) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": hold.id,
        "balance_id": hold.balance_id,
        "position": position,
        "booking_id": hold.booking_id,
        "credits": hold.credits,
        "created_at": hold.created_at,
        "expires_at": hold.expires_at,
        "status": hold.status.value,
        "resolved_at": hold.resolved_at,
    }


def to_entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        id=EntryId(row.id),
        balance_id=BalanceId(row.balance_id),
        sequence=row.sequence,
        entry_type=EntryType(row.entry_type),
        amount=row.amount,
        balance_after=row.balance_after,
        created_at=row.created_at,
        actor=row.actor,
        reason=row.reason,
        booking_id=row.booking_id,
        reverses=None if row.reverses is None else EntryId(row.reverses),
        idempotency_key=row.idempotency_key,
    )


def to_hold(row: Any) -> Hold:
    return Hold(
        id=HoldId(row.id),
        balance_id=BalanceId(row.balance_id),
        booking_id=row.booking_id,
        credits=row.credits,
        created_at=row.created_at,
        expires_at=row.expires_at,
        status=HoldStatus(row.status),
        resolved_at=row.resolved_at,
    )


def to_balance(row: Any, entries: list[LedgerEntry], holds: list[Hold]) -> CreditBalance:
    return CreditBalance(
        id=BalanceId(row.id),
        tenant_id=TenantId(row.tenant_id),
        user_id=UserId(row.user_id),
        period=BillingPeriod(row.billing_period_start, row.billing_period_end),
        created_at=row.created_at,
        entries=entries,
        holds=holds,
        expiry_warning_sent_at=row.expiry_warning_sent_at,
        version=row.version,
        timezone=row.timezone,
    )


# -- statements ----------------------------------------------------------------------------

GET = get_statement(b)
CURRENT_QUERY = (
    select(b)
    .where(
        b.c.tenant_id == bindparam("tid"),
        b.c.user_id == bindparam("user_id"),
        b.c.billing_period_start <= bindparam("day"),
        b.c.billing_period_end > bindparam("day"),
    )
    .order_by(b.c.billing_period_start.desc())
    .limit(1)
)
CURRENT = Statement(CURRENT_QUERY)
CURRENT_LOCKED = Statement(CURRENT_QUERY.with_for_update(key_share=True))
"""The user's balance for ``day`` with a row lock: bookings of one parent queue on it
instead of racing to save it."""
ENTRIES = Statement(
    select(e)
    .where(e.c.tenant_id == bindparam("tid"), e.c.balance_id == bindparam("balance_id"))
    .order_by(e.c.sequence)
)
HOLDS = Statement(
    select(h)
    .where(h.c.tenant_id == bindparam("tid"), h.c.balance_id == bindparam("balance_id"))
    .order_by(h.c.position)
)


def _upsert_holds() -> Statement:
    stmt = insert_values(h)
    return Statement(
        stmt.on_conflict_do_update(
            index_elements=[h.c.tenant_id, h.c.id],
            set_={"status": stmt.excluded.status, "resolved_at": stmt.excluded.resolved_at},
        )
    )


UPSERT_HOLD = _upsert_holds()


# -- the repository ------------------------------------------------------------------------


class PostgresLedgerRepository(TableRepository[CreditBalance]):
    """Credit balances of the unit of work's tenant, with their entries and holds."""

    table, entity = b, "credit_balance"
    lock_on_get: ClassVar[bool] = True

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._holds_seen: dict[BalanceId, dict[HoldId, Hold]] = {}
        self._entries_seen: dict[BalanceId, tuple[int, tuple[LedgerEntry, ...]]] = {}

    def to_row(self, entity: CreditBalance) -> dict[str, Any]:
        return balance_row(entity)

    def to_entity(self, row: Any) -> CreditBalance:
        entries = self._entries_seen[row.id][1]
        return to_balance(row, list(entries), list(self._holds_seen[row.id].values()))

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        return self._locked_first(self.find_query(user_id, day), user_id)

    def find_query(self, user_id: UserId, day: date) -> Query:
        return self._query(CURRENT_LOCKED, user_id=user_id, day=day)

    def entries_query(self, balance_id: BalanceId) -> Query:
        return self._query(ENTRIES, balance_id=balance_id)

    def holds_query(self, balance_id: BalanceId) -> Query:
        return self._query(HOLDS, balance_id=balance_id)

    def save(self, balance: CreditBalance) -> None:
        check_tenant(self._scope, balance.tenant_id)
        self._check_append_only(balance)  # first, so a refusal writes nothing
        super().save(balance)

    def for_booking(self, booking_id: UUID) -> list[BalanceId]:
        about = (
            select(e.c.balance_id)
            .where(e.c.tenant_id == self._tid, e.c.booking_id == booking_id)
            .distinct()
        )
        rows = self._scope.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.id.in_(about))
            .order_by(b.c.billing_period_start, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]

    def open_ending_by(self, day: date) -> list[BalanceId]:
        return self._ids(b.c.billing_period_end <= day)

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        return self._ids(b.c.billing_period_end <= day, b.c.expiry_warning_sent_at.is_(None))

    def with_holds_expiring_by(self, instant: datetime) -> list[BalanceId]:
        due = (
            select(h.c.balance_id)
            .where(
                h.c.tenant_id == self._tid,
                h.c.status == HoldStatus.ACTIVE.value,
                h.c.expires_at <= instant,
            )
            .distinct()
        )
        rows = self._scope.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.id.in_(due))
            .order_by(b.c.billing_period_end, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]

    # -- internals -------------------------------------------------------------------------

    def _entities(self, rows: Sequence[Any]) -> list[CreditBalance]:
        """Balances with their entries and holds. A balance read earlier in this unit of
        work at the same version reuses them (every change bumps the version); the others'
        are read in one round trip."""
        unknown = [row for row in rows if not self._known_at(row.id, row.version)]
        found = self._scope.rows_of_all(
            [query for row in unknown for query in self._children_queries(row.id)]
        )
        for n, row in enumerate(unknown):
            entries = tuple(to_entry(r) for r in found[2 * n])
            holds = [to_hold(r) for r in found[2 * n + 1]]
            self._entries_seen[row.id] = (row.version, entries)
            self._holds_seen[row.id] = {hold.id: hold for hold in holds}
        return super()._entities(rows)

    def _children_queries(self, balance_id: BalanceId) -> tuple[Query, Query]:
        return self.entries_query(balance_id), self.holds_query(balance_id)

    def _known_at(self, balance_id: BalanceId, version: int) -> bool:
        seen = self._entries_seen.get(balance_id)
        return seen is not None and seen[0] == version and balance_id in self._holds_seen

    def _check_append_only(self, balance: CreditBalance) -> None:
        """The stored entries must be an unchanged prefix of ``balance``'s
        (``LedgerIsAppendOnly`` otherwise). Compares with what this unit of work read at
        ``balance.version``, else with the stored entries after checking the stored version
        (the version-guarded UPDATE that follows catches later races)."""
        seen = self._entries_seen.get(balance.id)
        if seen is None or seen[0] != balance.version:
            found = self._scope.rows(version_statement(b), {"tid": self._tid, "id": balance.id})
            stored = found[0].version if found else None
            check_version(self.entity, balance.id, stored=stored, loaded=balance.version)
            rows = self._scope.rows(*self.entries_query(balance.id))
            seen = (balance.version, tuple(to_entry(r) for r in rows))
            self._entries_seen[balance.id] = seen
        if tuple(balance.entries[: len(seen[1])]) != seen[1]:
            raise LedgerIsAppendOnly(
                "stored ledger entries cannot be changed or removed", balance_id=str(balance.id)
            )

    def _write_children(self, entity: CreditBalance, *, added: bool) -> None:
        """Insert the entries beyond the stored ones; upsert the holds that changed."""
        stored = () if added else self._entries_seen[entity.id][1]
        rows = [entry_row(self._tid, entry) for entry in entity.entries[len(stored) :]]
        self._scope.write_many(insert_statement(e, on_conflict="error"), rows)
        self._entries_seen[entity.id] = (entity.version, tuple(entity.entries))
        seen = {} if added else self._holds_seen.get(entity.id, {})
        holds = [
            hold_row(self._tid, position, hold)
            for position, hold in enumerate(entity.holds)
            if (known := seen.get(hold.id)) is not hold and known != hold  # (holds are frozen)
        ]
        self._scope.write_many(UPSERT_HOLD, holds)
        self._holds_seen[entity.id] = {hold.id: hold for hold in entity.holds}

    def _ids(self, *conditions: Any) -> list[BalanceId]:
        rows = self._scope.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.is_closed.is_(False), *conditions)
            .order_by(b.c.billing_period_end, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]


# -- subscriptions -------------------------------------------------------------------------


def subscription_row(sub: CorporateSubscription) -> dict[str, Any]:
    return {
        "tenant_id": sub.tenant_id,
        "id": sub.id,
        "corporate_id": sub.corporate_id,
        "tier": sub.tier.value,
        "covered_employees": sub.covered_employees,
        "credits_per_employee": sub.credits_per_employee,
        "monthly_cost": sub.monthly_cost.amount,
        "monthly_cost_currency": sub.monthly_cost.currency,
        "billing_cycle_day": sub.billing_cycle_day,
        "start_date": sub.start_date,
        "end_date": sub.end_date,
        "auto_renew": sub.auto_renew,
        "premium_venue_access": sub.premium_venue_access,
        "status": sub.status.value,
        "cancelled_at": sub.cancelled_at,
        "cancellation_reason": sub.cancellation_reason,
        "timezone": sub.timezone,
        "version": sub.version,
    }


def to_subscription(row: Any) -> CorporateSubscription:
    return CorporateSubscription(
        id=SubscriptionId(row.id),
        tenant_id=TenantId(row.tenant_id),
        corporate_id=CorporateId(row.corporate_id),
        tier=SubscriptionTier(row.tier),
        covered_employees=row.covered_employees,
        credits_per_employee=row.credits_per_employee,
        monthly_cost=Money(row.monthly_cost, row.monthly_cost_currency),
        billing_cycle_day=row.billing_cycle_day,
        start_date=row.start_date,
        end_date=row.end_date,
        auto_renew=row.auto_renew,
        premium_venue_access=row.premium_venue_access,
        status=SubscriptionStatus(row.status),
        cancelled_at=row.cancelled_at,
        cancellation_reason=row.cancellation_reason,
        timezone=row.timezone,
        version=row.version,
    )


def to_seats(row: Any) -> SeatAllocations:
    return SeatAllocations(
        tenant_id=TenantId(row.tenant_id),
        subscription_id=SubscriptionId(row.subscription_id),
        period=BillingPeriod(row.billing_period_start, row.billing_period_end),
        users=[UserId(u) for u in row.user_ids],
        version=row.version,
    )


class PostgresSubscriptionRepository(TableRepository[CorporateSubscription]):
    """Corporate subscriptions and their seat allocations, for the unit of work's tenant."""

    table, entity = s, "subscription"

    def __init__(self, scope: PostgresScope) -> None:
        super().__init__(scope)
        self._seats = PostgresSeatRepository(scope)

    def to_row(self, entity: CorporateSubscription) -> dict[str, Any]:
        return subscription_row(entity)

    def to_entity(self, row: Any) -> CorporateSubscription:
        return to_subscription(row)

    def seats(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        return self._seats.find(subscription_id, period_start)

    def save_seats(self, allocations: SeatAllocations) -> None:
        """Version 0 is a first allocation: it is added at version 1."""
        if allocations.version == 0:
            check_tenant(self._scope, allocations.tenant_id)
            first = attrs.evolve(allocations, version=1)
            self._seats.add(first)
            saved(allocations)
        else:
            self._seats.save(allocations)


class PostgresSeatRepository(TableRepository[SeatAllocations]):
    table, entity = seats, "subscription_seats"
    lock_on_get: ClassVar[bool] = True

    def to_row(self, entity: SeatAllocations) -> dict[str, Any]:
        return {
            "tenant_id": entity.tenant_id,
            "subscription_id": entity.subscription_id,
            "billing_period_start": entity.period.start,
            "billing_period_end": entity.period.end,
            "user_ids": list(entity.users),
            "version": entity.version,
        }

    def to_entity(self, row: Any) -> SeatAllocations:
        return to_seats(row)

    def find(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        return self._find((subscription_id, period_start))
