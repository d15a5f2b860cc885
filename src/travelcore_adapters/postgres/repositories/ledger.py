"""The ledger's ``LedgerRepository`` over ``credit_balances``, ``credit_ledger`` and
``credit_holds``.

``save`` is optimistic: ``UPDATE credit_balances ... WHERE version = :v`` touching no row
means someone else saved first (``StaleVersion``). Entries are only ever inserted (those
with a sequence beyond the stored ones); holds are upserted when they changed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from travelcore.kernel import NotFound, StaleVersion, TenantId, UserId, ValidationFailed
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
)
from travelcore_adapters.postgres.tables.ledger import credit_balances as b
from travelcore_adapters.postgres.tables.ledger import credit_holds as h
from travelcore_adapters.postgres.tables.ledger import credit_ledger as e

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


# -- the repository ------------------------------------------------------------------------


class PostgresLedgerRepository:
    """Credit balances of the unit of work's tenant, with their entries and holds."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow
        self._holds_seen: dict[BalanceId, dict[HoldId, Hold]] = {}

    @property
    def _tid(self) -> TenantId:
        return self._uow.tenant_id

    def add(self, balance: CreditBalance) -> None:
        self._check_tenant(balance)
        self._uow.execute(insert(b).values(balance_row(balance)))
        self._insert_entries(balance, 0)
        self._write_holds(balance)

    def get(self, balance_id: BalanceId) -> CreditBalance:
        row = self._uow.execute(
            select(b).where(b.c.tenant_id == self._tid, b.c.id == balance_id)
        ).one_or_none()
        if row is None:
            raise NotFound("credit_balance", balance_id)
        return self._load(row)

    def find(self, user_id: UserId, day: date) -> CreditBalance | None:
        row = self._uow.execute(
            select(b)
            .where(
                b.c.tenant_id == self._tid,
                b.c.user_id == user_id,
                b.c.billing_period_start <= day,
                b.c.billing_period_end > day,
            )
            .order_by(b.c.billing_period_start.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else self._load(row)

    def save(self, balance: CreditBalance) -> None:
        self._check_tenant(balance)
        self._update_balance_row(balance)
        stored = self._uow.execute(
            select(func.coalesce(func.max(e.c.sequence), 0)).where(
                e.c.tenant_id == self._tid, e.c.balance_id == balance.id
            )
        ).scalar_one()
        self._insert_entries(balance, stored)
        self._write_holds(balance)
        balance.version += 1

    def open_ending_by(self, day: date) -> list[BalanceId]:
        return self._ids(b.c.billing_period_end <= day)

    def unwarned_ending_by(self, day: date) -> list[BalanceId]:
        return self._ids(b.c.billing_period_end <= day, b.c.expiry_warning_sent_at.is_(None))

    # -- internals -------------------------------------------------------------------------

    def _update_balance_row(self, balance: CreditBalance) -> None:
        """Bump the stored version if it is still the one ``balance`` was read at."""
        result = self._uow.execute(
            update(b)
            .where(
                b.c.tenant_id == self._tid,
                b.c.id == balance.id,
                b.c.version == balance.version,
            )
            .values(version=b.c.version + 1, **balance_figures(balance))
        )
        if result.rowcount == 0:
            self.get(balance.id)  # NotFound if it does not exist at all
            raise StaleVersion(
                f"credit balance {balance.id} changed since version {balance.version}",
                balance_id=str(balance.id),
                version=balance.version,
            )

    def _insert_entries(self, balance: CreditBalance, stored: int) -> None:
        rows = [entry_row(self._tid, x) for x in balance.entries if x.sequence > stored]
        if rows:
            self._uow.execute(insert(e), rows)  # type: ignore[arg-type]

    def _write_holds(self, balance: CreditBalance) -> None:
        seen = self._holds_seen.get(balance.id, {})
        rows = [
            hold_row(self._tid, position, hold)
            for position, hold in enumerate(balance.holds)
            if seen.get(hold.id) != hold
        ]
        if rows:
            stmt = insert(h)
            self._uow.execute(
                stmt.on_conflict_do_update(
                    index_elements=[h.c.tenant_id, h.c.id],
                    set_={"status": stmt.excluded.status, "resolved_at": stmt.excluded.resolved_at},
                ),
                rows,  # type: ignore[arg-type]
            )
        self._holds_seen[balance.id] = {hold.id: hold for hold in balance.holds}

    def _load(self, row: Any) -> CreditBalance:
        entries = [
            to_entry(r)
            for r in self._uow.execute(
                select(e)
                .where(e.c.tenant_id == self._tid, e.c.balance_id == row.id)
                .order_by(e.c.sequence)
            )
        ]
        holds = [
            to_hold(r)
            for r in self._uow.execute(
                select(h)
                .where(h.c.tenant_id == self._tid, h.c.balance_id == row.id)
                .order_by(h.c.position)
            )
        ]
        balance = to_balance(row, entries, holds)
        self._holds_seen[balance.id] = {hold.id: hold for hold in holds}
        return balance

    def _ids(self, *conditions: Any) -> list[BalanceId]:
        rows = self._uow.execute(
            select(b.c.id)
            .where(b.c.tenant_id == self._tid, b.c.is_closed.is_(False), *conditions)
            .order_by(b.c.billing_period_end, b.c.id)
        )
        return [BalanceId(r.id) for r in rows]

    def _check_tenant(self, balance: CreditBalance) -> None:
        if balance.tenant_id != self._tid:
            raise ValidationFailed("tenant_id", "matches_unit_of_work")
