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

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import Money, NotFound, StaleVersion, TenantId, UserId, ValidationFailed
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
from travelcore_adapters.postgres.statements import (
    STALE,
    Expect,
    Statement,
    get_statement,
    insert_statement,
    insert_values,
    update_statement,
    version_statement,
)
from travelcore_adapters.postgres.tables.ledger import corporate_subscriptions as s
from travelcore_adapters.postgres.tables.ledger import credit_balances as b
from travelcore_adapters.postgres.tables.ledger import credit_holds as h
from travelcore_adapters.postgres.tables.ledger import credit_ledger as e
from travelcore_adapters.postgres.tables.ledger import subscription_seats as seats
from travelcore_adapters.postgres.wire import Reply

if TYPE_CHECKING:
    from travelcore_adapters.postgres.uow import PostgresUnitOfWork


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


class PostgresLedgerRepository:
    """Credit balances of the unit of work's tenant, with their entries and holds."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow
        self._holds_seen: dict[BalanceId, dict[HoldId, Hold]] = {}
        self._entries_seen: dict[BalanceId, tuple[int, tuple[LedgerEntry, ...]]] = {}

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id

    def add(self, balance: CreditBalance) -> None:
        if balance.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        self._uow.write(insert_statement(b, on_conflict="error"), balance_row(balance))
        self._insert_entries(balance.entries)
        self._write_holds(balance)
        self._entries_seen[balance.id] = (balance.version, tuple(balance.entries))

    def get(self, balance_id: BalanceId) -> CreditBalance:
        rows = self._uow.rows(GET, {"tid": self._tid, "id": balance_id})
        if not rows:
            raise NotFound("credit_balance", balance_id)
        return self._load(rows[0])

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        rows = self._uow.rows(CURRENT, {"tid": self._tid, "user_id": user_id, "day": day})
        return self._load(rows[0]) if rows else None

    def save(self, balance: CreditBalance) -> None:
        self._check_tenant(balance)
        new_entries = self._new_entries(balance)  # checks first, so a refusal writes nothing
        self._update_balance_row(balance)
        self._insert_entries(new_entries)
        self._write_holds(balance)
        balance.version += 1
        self._entries_seen[balance.id] = (balance.version, tuple(balance.entries))

    def for_booking(self, booking_id: UUID) -> list[BalanceId]:
        about = (
            select(e.c.balance_id)
            .where(e.c.tenant_id == self._tid, e.c.booking_id == booking_id)
            .distinct()
        )
        rows = self._uow.execute(
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
        rows = self._uow.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.id.in_(due))
            .order_by(b.c.billing_period_end, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]

    # -- internals -------------------------------------------------------------------------

    def _update_balance_row(self, balance: CreditBalance) -> None:
        """Bump the stored version if it is still the one ``balance`` was read at."""
        figures = balance_figures(balance)
        expected = balance.version
        params = {"tid": self._tid, "id": balance.id, "expected_version": expected}
        refusal = f"credit balance {balance.id} changed concurrently"

        def updated(reply: Reply) -> None:
            if reply.rowcount == 0:
                self._require_version(balance.id, expected)
                raise StaleVersion(refusal)

        statement = update_statement(b, tuple(figures))
        self._uow.write(statement, params | figures, Expect(STALE, refusal, updated))

    def _new_entries(self, balance: CreditBalance) -> list[LedgerEntry]:
        """The entries beyond the stored ones, after checking that the stored ones are an
        unchanged prefix (``LedgerIsAppendOnly`` otherwise). Compares with what this unit
        of work read at ``balance.version``, else with the stored entries, after checking
        the stored version (the version-guarded UPDATE that follows catches later races)."""
        seen = self._entries_seen.get(balance.id)
        if seen is not None and seen[0] == balance.version:
            stored: tuple[LedgerEntry, ...] | list[LedgerEntry] = seen[1]
        else:
            self._require_version(balance.id, balance.version)
            stored = self._load_entries(balance.id)
        if tuple(balance.entries[: len(stored)]) != tuple(stored):
            raise LedgerIsAppendOnly(
                "stored ledger entries cannot be changed or removed", balance_id=str(balance.id)
            )
        return balance.entries[len(stored) :]

    def _insert_entries(self, entries: list[LedgerEntry]) -> None:
        rows = [entry_row(self._tid, entry) for entry in entries]
        self._uow.write_many(insert_statement(e, on_conflict="error"), rows)

    def _write_holds(self, balance: CreditBalance) -> None:
        seen = self._holds_seen.get(balance.id, {})
        rows = [
            hold_row(self._tid, position, hold)
            for position, hold in enumerate(balance.holds)
            if seen.get(hold.id) != hold
        ]
        self._uow.write_many(UPSERT_HOLD, rows)
        self._holds_seen[balance.id] = {hold.id: hold for hold in balance.holds}

    def _load_entries(self, balance_id: BalanceId) -> list[LedgerEntry]:
        rows = self._uow.rows(ENTRIES, {"tid": self._tid, "balance_id": balance_id})
        return [to_entry(r) for r in rows]

    def _load(self, row: Any) -> CreditBalance:
        seen = self._entries_seen.get(row.id)
        if seen is not None and seen[0] == row.version and row.id in self._holds_seen:
            # read earlier in this unit of work at this version: entries and holds (frozen
            # values) are unchanged, since every change bumps the version
            return to_balance(row, list(seen[1]), list(self._holds_seen[row.id].values()))
        entries = self._load_entries(BalanceId(row.id))
        holds = [
            to_hold(r) for r in self._uow.rows(HOLDS, {"tid": self._tid, "balance_id": row.id})
        ]
        balance = to_balance(row, entries, holds)
        self._holds_seen[balance.id] = {hold.id: hold for hold in holds}
        self._entries_seen[balance.id] = (balance.version, tuple(entries))
        return balance

    def _require_version(self, balance_id: BalanceId, version: int) -> None:
        """``NotFound`` or ``StaleVersion`` unless the stored version is ``version``."""
        rows = self._uow.rows(version_statement(b), {"tid": self._tid, "id": balance_id})
        if not rows:
            raise NotFound("credit_balance", balance_id)
        if rows[0].version != version:
            raise StaleVersion(
                f"credit balance {balance_id} changed since version {version}",
                balance_id=str(balance_id),
                expected=version,
                actual=rows[0].version,
            )

    def _ids(self, *conditions: Any) -> list[BalanceId]:
        rows = self._uow.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.is_closed.is_(False), *conditions)
            .order_by(b.c.billing_period_end, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]

    def _check_tenant(self, balance: CreditBalance) -> None:
        if balance.tenant_id != self._tid:  # another tenant's balance does not exist here
            raise NotFound("credit_balance", balance.id)


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


class PostgresSubscriptionRepository:
    """Corporate subscriptions and their seat allocations, for the unit of work's tenant."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id

    def add(self, subscription: CorporateSubscription) -> None:
        if subscription.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
        self._uow.execute(insert(s).values(subscription_row(subscription)))

    def get(self, subscription_id: SubscriptionId) -> CorporateSubscription:
        row = self._uow.execute(
            select(s).where(s.c.tenant_id == self._tid, s.c.id == subscription_id)
        ).one_or_none()
        if row is None:
            raise NotFound("subscription", subscription_id)
        return to_subscription(row)

    def save(self, subscription: CorporateSubscription) -> None:
        values = subscription_row(subscription)
        for key in ("tenant_id", "id", "version"):
            del values[key]
        result = self._uow.execute(
            update(s)
            .where(
                s.c.tenant_id == self._tid,
                s.c.id == subscription.id,
                s.c.version == subscription.version,
            )
            .values(version=s.c.version + 1, **values)
        )
        if result.rowcount == 0:
            self.get(subscription.id)
            raise StaleVersion(
                f"subscription {subscription.id} changed since it was read",
                subscription_id=str(subscription.id),
                version=subscription.version,
            )
        subscription.version += 1

    def seats(self, subscription_id: SubscriptionId, period_start: date) -> SeatAllocations | None:
        row = self._uow.execute(
            select(seats).where(
                seats.c.tenant_id == self._tid,
                seats.c.subscription_id == subscription_id,
                seats.c.billing_period_start == period_start,
            )
        ).one_or_none()
        return None if row is None else to_seats(row)

    def save_seats(self, allocations: SeatAllocations) -> None:
        if allocations.version == 0:
            self._uow.execute(
                insert(seats).values(
                    tenant_id=self._tid,
                    subscription_id=allocations.subscription_id,
                    billing_period_start=allocations.period.start,
                    billing_period_end=allocations.period.end,
                    user_ids=list(allocations.users),
                    version=1,
                )
            )
        else:
            result = self._uow.execute(
                update(seats)
                .where(
                    seats.c.tenant_id == self._tid,
                    seats.c.subscription_id == allocations.subscription_id,
                    seats.c.billing_period_start == allocations.period.start,
                    seats.c.version == allocations.version,
                )
                .values(user_ids=list(allocations.users), version=seats.c.version + 1)
            )
            if result.rowcount == 0:
                if self.seats(allocations.subscription_id, allocations.period.start) is None:
                    raise NotFound(
                        "subscription_seats",
                        (allocations.subscription_id, allocations.period.start),
                    )
                raise StaleVersion(
                    "seat allocations changed since they were read",
                    subscription_id=str(allocations.subscription_id),
                    version=allocations.version,
                )
        allocations.version += 1
