"""Billing use cases: issue, send, settle and cancel invoices, the overdue sweep, and venue
payouts computed from the venue's completed and no-show bookings of a period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs

from travelcore.billing import access
from travelcore.billing.invoices import (
    MAX_DESCRIPTION,
    MAX_LINES,
    MAX_QUANTITY,
    Invoice,
    InvoiceId,
    InvoiceLine,
)
from travelcore.billing.payouts import PayoutBooking, PayoutId, VenuePayout
from travelcore.billing.ports import BillingUnitOfWork
from travelcore.catalog import VenueId
from travelcore.kernel import (
    Actor,
    AlreadyExists,
    Clock,
    Money,
    PolicyProvider,
    StaticPolicies,
    TenantId,
    ValidationFailed,
    checked_clock,
    exact_money,
    require_tenant,
    run_use_case,
)
from travelcore.kernel import validation as v
from travelcore.kernel.money import MAX_AMOUNT
from travelcore.ledger import SubscriptionId

BillingUowFactory = Callable[[TenantId], BillingUnitOfWork]
R = TypeVar("R")

LATEST_OFFSET = timedelta(hours=14)
"""The largest UTC offset of any zone: no local date is later than UTC's plus this."""

#: Bound on the invoice prefix (``"ACME"`` in ``ACME-000042``).
MAX_PREFIX = 20


def _prefix(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.isalnum() or not 1 <= len(value) <= MAX_PREFIX:
        raise ValidationFailed(attribute.name, f"alphanumeric_1_to_{MAX_PREFIX}")


@attrs.frozen(kw_only=True)
class IssueInvoice:
    """Draft the invoice of a subscription for the billing period containing ``day`` (the
    corporate's local date today when not given): one line for the subscription's monthly
    cost, then ``extra_lines``, taxed at ``tax_rate``. It is issued on the corporate's
    local date."""

    tenant_id: TenantId
    subscription_id: SubscriptionId
    day: date | None = None
    prefix: str = attrs.field(validator=_prefix)
    tax_rate: Decimal = Decimal(0)
    extra_lines: tuple[InvoiceLine, ...] = ()
    notes: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class ChangeInvoice:
    """Send or cancel an invoice."""

    tenant_id: TenantId
    invoice_id: InvoiceId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class RecordInvoicePayment:
    tenant_id: TenantId
    invoice_id: InvoiceId
    amount: Money = attrs.field(validator=exact_money)
    reference: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class CreatePayout:
    """The payout of a venue for ``[period_start, period_end)``; a credit is worth
    ``credit_value``."""

    tenant_id: TenantId
    venue_id: VenueId
    period_start: date
    period_end: date
    credit_value: Money = attrs.field(validator=exact_money)
    idempotency_key: str

    def __attrs_post_init__(self) -> None:
        v.check_command(self)
        if self.period_end <= self.period_start:
            raise ValidationFailed("period_end", "after_period_start")
        if (self.period_end - self.period_start).days > 366:
            raise ValidationFailed("period_end", "at_most_366_days")


@attrs.frozen(kw_only=True)
class AdjustPayout:
    tenant_id: TenantId
    payout_id: PayoutId
    amount: Money = attrs.field(validator=exact_money)
    notes: str
    idempotency_key: str


@attrs.frozen(kw_only=True)
class ChangePayout:
    """Move a payout on: ``processing``, ``paid`` (with ``reference``), ``failed`` or
    ``on_hold`` (with ``reason``), or back to ``pending``."""

    tenant_id: TenantId
    payout_id: PayoutId
    target: str
    reference: str | None = None
    reason: str | None = None
    idempotency_key: str


class BillingService:
    def __init__(
        self,
        uow_factory: BillingUowFactory,
        clock: Clock,
        *,
        policies: PolicyProvider | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._policies = policies or StaticPolicies()

    def _run(
        self,
        tenant_id: TenantId,
        cmd: object,
        key: str,
        result_type: type[R],
        action: Callable[[BillingUnitOfWork, datetime], R],
        *,
        actor: Actor,
    ) -> R:
        return run_use_case(
            self._uow, tenant_id, self._clock, key, cmd, result_type, action, actor=actor
        )

    # -- invoices --------------------------------------------------------------------------

    def issue_invoice(self, cmd: IssueInvoice, *, actor: Actor) -> Invoice:
        """A draft numbered after the corporate's last invoice; ``AlreadyExists`` if the
        subscription already has one for the period."""

        def action(uow: BillingUnitOfWork, now: datetime) -> Invoice:
            access.invoice_job(actor)
            subscription = uow.subscriptions.get(cmd.subscription_id)
            today = subscription.today(now)
            period = subscription.period_containing(cmd.day or today)
            if uow.invoices.for_period(subscription.id, period.start) is not None:
                raise AlreadyExists(
                    "the subscription is invoiced for this period", entity="invoice"
                )
            base = InvoiceLine(
                description=f"{subscription.tier.value} subscription, "
                f"{subscription.covered_employees} employees",
                quantity=1,
                unit_price=subscription.monthly_cost,
            )
            invoice = Invoice.draft(
                cmd.tenant_id,
                corporate_id=subscription.corporate_id,
                subscription_id=subscription.id,
                sequence=uow.invoices.last_sequence(subscription.corporate_id) + 1,
                prefix=cmd.prefix,
                period=period,
                lines=(base, *cmd.extra_lines),
                tax_rate=cmd.tax_rate,
                issued_on=today,
                terms=self._policies.policy_for(cmd.tenant_id).invoice_terms,
                now=now,
                notes=cmd.notes,
            )
            uow.invoices.add(invoice)
            return invoice

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, Invoice, action, actor=actor)

    def _change_invoice(
        self,
        cmd: object,
        tenant_id: TenantId,
        invoice_id: InvoiceId,
        key: str,
        change: Callable[[Invoice, datetime], Invoice],
        *,
        actor: Actor,
        check: Callable[[Actor], None] = access.invoice_job,
    ) -> Invoice:
        def action(uow: BillingUnitOfWork, now: datetime) -> Invoice:
            check(actor)
            invoice = change(uow.invoices.get(invoice_id), now)
            uow.invoices.save(invoice)
            return invoice

        return self._run(tenant_id, cmd, key, Invoice, action, actor=actor)

    def send_invoice(self, cmd: ChangeInvoice, *, actor: Actor) -> Invoice:
        return self._change_invoice(
            cmd,
            cmd.tenant_id,
            cmd.invoice_id,
            cmd.idempotency_key,
            lambda i, now: i.sent(now),
            actor=actor,
        )

    def cancel_invoice(self, cmd: ChangeInvoice, *, actor: Actor) -> Invoice:
        return self._change_invoice(
            cmd,
            cmd.tenant_id,
            cmd.invoice_id,
            cmd.idempotency_key,
            lambda i, now: i.cancelled(now),
            actor=actor,
            check=access.cancel_invoice,
        )

    def record_payment(self, cmd: RecordInvoicePayment, *, actor: Actor) -> Invoice:
        return self._change_invoice(
            cmd,
            cmd.tenant_id,
            cmd.invoice_id,
            cmd.idempotency_key,
            lambda i, now: i.paid(cmd.amount, cmd.reference, now),
            actor=actor,
        )

    def mark_overdue(self, tenant_id: TenantId, *, actor: Actor) -> int:
        """A job: every ``sent`` invoice past its due date in its corporate's zone becomes
        ``overdue``; how many. Running it again changes nothing."""
        require_tenant(actor, tenant_id)
        access.invoice_job(actor)
        now = self._clock.now()
        with self._uow(tenant_id) as uow:
            candidates = uow.invoices.sent_due_before((now + LATEST_OFFSET).date())
            zones: dict[SubscriptionId, date] = {}
            due = []
            for invoice in candidates:
                if invoice.subscription_id not in zones:
                    subscription = uow.subscriptions.get(invoice.subscription_id)
                    zones[invoice.subscription_id] = subscription.today(now)
                if invoice.is_overdue(zones[invoice.subscription_id]):
                    due.append(invoice)
                    uow.invoices.save(invoice.overdue(now))
            uow.commit()
        return len(due)

    def invoice(self, tenant_id: TenantId, invoice_id: InvoiceId, *, actor: Actor) -> Invoice:
        v.ids(invoice_id=invoice_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            invoice = uow.invoices.get(invoice_id)
        access.read_invoice(actor, invoice.corporate_id)
        return invoice

    # -- payouts ---------------------------------------------------------------------------

    def create_payout(self, cmd: CreatePayout, *, actor: Actor) -> VenuePayout:
        """The venue's payout for the period, from its completed and no-show bookings of
        sessions dated in the period; the fee rate is the tenant's ``platform_fee_rate``.
        One per venue and period (``AlreadyExists``)."""

        def action(uow: BillingUnitOfWork, now: datetime) -> VenuePayout:
            access.payout_job(actor)
            uow.venues.get(cmd.venue_id)
            if uow.payouts.for_period(cmd.venue_id, cmd.period_start) is not None:
                raise AlreadyExists("the venue has a payout for this period", entity="payout")
            last_day = cmd.period_end - timedelta(days=1)
            outcomes = [
                PayoutBooking(
                    status=booking.status,
                    credits_charged=booking.credits_charged,
                    credits_refunded=booking.credits_refunded,
                )
                for activity in uow.activities.for_venue(cmd.venue_id)
                for session in uow.sessions.for_activity(activity.id, cmd.period_start, last_day)
                for booking in uow.bookings.for_session(session.id)
            ]
            payout = VenuePayout.compute(
                cmd.tenant_id,
                venue_id=cmd.venue_id,
                period_start=cmd.period_start,
                period_end=cmd.period_end,
                bookings=outcomes,
                credit_value=cmd.credit_value,
                fee_rate=self._policies.policy_for(cmd.tenant_id).platform_fee_rate,
                now=now,
            )
            uow.payouts.add(payout)
            return payout

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, VenuePayout, action, actor=actor)

    def adjust_payout(self, cmd: AdjustPayout, *, actor: Actor) -> VenuePayout:
        def action(uow: BillingUnitOfWork, now: datetime) -> VenuePayout:
            access.adjust_payout(actor)
            payout = uow.payouts.get(cmd.payout_id).adjusted(cmd.amount, cmd.notes, now)
            uow.payouts.save(payout)
            return payout

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, VenuePayout, action, actor=actor)

    def change_payout(self, cmd: ChangePayout, *, actor: Actor) -> VenuePayout:
        def action(uow: BillingUnitOfWork, now: datetime) -> VenuePayout:
            access.payout_job(actor)
            payout = uow.payouts.get(cmd.payout_id)
            moves: dict[str, Callable[[], VenuePayout]] = {
                "processing": lambda: payout.processing(now),
                "paid": lambda: payout.paid(_required(cmd.reference, "reference"), now),
                "failed": lambda: payout.failed(_required(cmd.reason, "reason"), now),
                "on_hold": lambda: payout.held(_required(cmd.reason, "reason"), now),
                "pending": lambda: payout.retried(now),
            }
            if cmd.target not in moves:
                raise ValidationFailed("target", "payout_status")
            changed = moves[cmd.target]()
            uow.payouts.save(changed)
            return changed

        return self._run(cmd.tenant_id, cmd, cmd.idempotency_key, VenuePayout, action, actor=actor)

    def payout(self, tenant_id: TenantId, payout_id: PayoutId, *, actor: Actor) -> VenuePayout:
        v.ids(payout_id=payout_id)
        require_tenant(actor, tenant_id)
        with self._uow(tenant_id) as uow:
            payout = uow.payouts.get(payout_id)
        access.read_payout(actor, payout.venue_id)
        return payout


def _required(value: str | None, field: str) -> str:
    if not value or not value.strip():
        raise ValidationFailed(field, "required")
    return value


# -- boundary checks -----------------------------------------------------------------------

_KEY = {"idempotency_key": v.text(255)}
_NOTES = v.text(2_000)
_PAYOUT_MONEY = v.money(minimum=-MAX_AMOUNT)
v.validated(
    InvoiceLine,
    description=v.text(MAX_DESCRIPTION),
    quantity=v.integer(1, MAX_QUANTITY),
    unit_price=v.money(),
)
v.validated(
    IssueInvoice,
    tenant_id=v.uuid,
    subscription_id=v.uuid,
    day=v.optional(v.day),
    tax_rate=v.decimal(4, maximum=Decimal(1)),
    extra_lines=v.items(v.record(InvoiceLine), max_items=MAX_LINES - 1),
    notes=v.optional(_NOTES),
    **_KEY,
)
v.validated(ChangeInvoice, tenant_id=v.uuid, invoice_id=v.uuid, **_KEY)
v.validated(
    RecordInvoicePayment,
    tenant_id=v.uuid,
    invoice_id=v.uuid,
    amount=v.money(),
    reference=v.text(255),
    **_KEY,
)
v.validated(
    CreatePayout,
    tenant_id=v.uuid,
    venue_id=v.uuid,
    period_start=v.day,
    period_end=v.day,
    credit_value=v.money(),
    **_KEY,
)
v.validated(
    AdjustPayout, tenant_id=v.uuid, payout_id=v.uuid, amount=_PAYOUT_MONEY, notes=_NOTES, **_KEY
)
v.validated(
    ChangePayout,
    tenant_id=v.uuid,
    payout_id=v.uuid,
    target=v.text(16),
    reference=v.optional(v.text(255)),
    reason=v.optional(_NOTES),
    **_KEY,
)
