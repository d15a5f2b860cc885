"""Who may act on invoices and venue payouts (DOMAIN.md section 10, and ``docs/access.md``
where it is silent): a corporate's HR admin reads its invoices, a venue's admin its payouts;
a platform admin does everything (a tenant admin nothing: billing is the platform's); the
system actor runs the billing jobs (issuing, sending, payments, overdue, payouts). Scopes:
``read:invoices``, ``write:invoices``, ``read:payouts``, ``write:payouts``."""

from __future__ import annotations

from uuid import UUID

from travelcore.kernel import Actor, Role, permit

READ_INVOICES, WRITE_INVOICES = "read:invoices", "write:invoices"
READ_PAYOUTS, WRITE_PAYOUTS = "read:payouts", "write:payouts"
PLATFORM = frozenset({Role.PLATFORM_ADMIN})


def invoice_job(actor: Actor) -> None:
    """Issue, send, record a payment, mark overdue."""
    permit(actor, WRITE_INVOICES, jobs=True, admins=PLATFORM)


def cancel_invoice(actor: Actor) -> None:
    permit(actor, WRITE_INVOICES, admins=PLATFORM)


def read_invoice(actor: Actor, corporate_id: UUID) -> None:
    permit(actor, READ_INVOICES, corporate=corporate_id, admins=PLATFORM)


def payout_job(actor: Actor) -> None:
    """Compute a venue's payout, move it on (processing, paid, failed, on hold, back to
    pending)."""
    permit(actor, WRITE_PAYOUTS, jobs=True, admins=PLATFORM)


def adjust_payout(actor: Actor) -> None:
    """Add an adjustment to a payout."""
    permit(actor, WRITE_PAYOUTS, admins=PLATFORM)


def read_payout(actor: Actor, venue_id: UUID) -> None:
    permit(actor, READ_PAYOUTS, venue=venue_id, admins=PLATFORM)
