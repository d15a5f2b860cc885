"""Every job through the command line on PostgreSQL, with data that gives it work: two
copies started at once (two processes) do the work once between them, and a third run
finds nothing left. The lock's negative control is in ``test_job_locks.py``."""

from __future__ import annotations

import signal
import time
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal

import pytest

from tests.ops.conftest import Ops, now, parse, total, world_at
from travelcore.billing import BillingService, ChangeInvoice, InvoiceLine, IssueInvoice
from travelcore.booking import (
    BookSession,
    CancelBooking,
    CancellationReason,
    ConfirmBooking,
    JoinWaitlist,
)
from travelcore.catalog import SessionId
from travelcore.kernel import (
    Actor,
    ManualClock,
    Money,
    NotFound,
    PaymentGatewayUnavailable,
    Role,
    TenantId,
    UserId,
    new_uuid,
)
from travelcore.ledger import AllocateCredits, CreateSubscription, PlaceHold, SubscriptionTier
from travelcore.notifications import NotificationStatus, NotificationType
from travelcore.outbox import OutboxStatus
from travelcore.payments import PaymentService, PaymentStatus, PayTrip
from travelcore.people import ChildId
from travelcore.retention import ChildDeletion
from travelcore.testing.actors import admin, job
from travelcore.testing.world import World
from travelcore.travel import BookTrip, LineItem, RegisterTenant, TravelService, TripId
from travelcore_adapters import bootstrap
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.postgres import PostgresDatabase, ProvisionedDatabase
from travelcore_adapters.postgres.outbox import PostgresOutbox


def book(world: World, session: SessionId, parent: UserId, child: ChildId) -> object:
    return world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session,
            child_id=child,
            parent_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )


def once_between_two(ops: Ops, job: str, tenant: TenantId, kind: str, expected: int) -> None:
    """Two copies at once do ``expected`` between them; a third finds nothing to do."""
    assert expected > 0
    assert total(ops.twice(job, "--tenant", str(tenant)), kind) == expected
    code, out, _ = ops(job, "--tenant", str(tenant))
    assert code == 0
    assert parse(out).get(kind, 0) == 0


def test_waitlist_offers(ops: Ops, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(hours=5))  # the offer lapsed an hour ago
    session = world.session(capacity=1, starts_in=timedelta(days=3))
    holder, [child] = world.family()
    held = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session,
            child_id=child,
            parent_id=holder,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    waiting, [kid] = world.family()
    world.waitlist.join(
        JoinWaitlist(
            tenant_id=world.tenant,
            session_id=session,
            child_id=kid,
            parent_id=waiting,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.bookings.cancel(
        CancelBooking(
            tenant_id=world.tenant,
            booking_id=held.booking_id,
            reason=CancellationReason.CHILD_SICK,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    once_between_two(ops, "waitlist-offers", world.tenant, "expired", 1)
    assert [e.status.value for e in world.entries_on(session)] == ["removed"]


def test_hold_expiry(ops: Ops, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(hours=25))  # a hold lasts 24 hours
    parent, _ = world.family()
    world.ledger.place_hold(
        PlaceHold(
            tenant_id=world.tenant,
            balance_id=world.balance(parent).balance_id,
            booking_id=new_uuid(),
            credits=5,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    once_between_two(ops, "hold-expiry", world.tenant, "expired", 1)
    assert world.balance(parent).held == 0


def ended_period(database: PostgresDatabase) -> tuple[World, UserId]:
    """A parent with 30 credits in a period that ended (and was never closed)."""
    world = world_at(database, timedelta(days=40))
    parent, _ = world.family(credits=0)
    world.ledger.allocate_credits(
        AllocateCredits(
            tenant_id=world.tenant,
            user_id=parent,
            credits=30,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    return world, parent


def test_credit_expiry(ops: Ops, database: PostgresDatabase) -> None:
    world, parent = ended_period(database)
    once_between_two(ops, "credit-expiry", world.tenant, "closed", 1)
    view = world.ledger.balance_for(
        world.tenant, parent, world.clock.now().date(), actor=admin(world.tenant)
    )
    assert view is not None
    assert (view.expired, view.is_closed) == (30, True)


def test_credit_warnings(ops: Ops, database: PostgresDatabase) -> None:
    world, _ = ended_period(database)
    once_between_two(ops, "credit-warnings", world.tenant, "warned", 1)


def test_trip_reminders(ops: Ops, database: PostgresDatabase) -> None:
    clock = ManualClock(now() - timedelta(days=10))
    travel = TravelService(database, clock)
    tenant = TenantId(new_uuid())
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    travel.book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            currency="EUR",
            items=(
                LineItem.tour(
                    provider="Viator",
                    external_ref="T-1",
                    price_per_person=Money.of("80.00", "EUR"),
                    participants=1,
                    scheduled_on=now().date() + timedelta(days=2),
                ),
            ),
            idempotency_key="trip",
        ),
        actor=admin(tenant),
    )
    travel_now = TravelService(database, ManualClock(now()))
    due = len(travel_now.due_reminders(tenant, actor=job(tenant, "trip-reminders")))
    once_between_two(ops, "trip-reminders", tenant, "sent", due)


def test_the_relay_and_notifications(
    ops: Ops, database: PostgresDatabase, ops_database: ProvisionedDatabase
) -> None:
    world = world_at(database, timedelta(0))
    parent, [child] = world.family()
    receipt = book(world, world.session(starts_in=timedelta(days=5)), parent, child)
    world.bookings.confirm(
        ConfirmBooking(
            tenant_id=world.tenant,
            booking_id=receipt.booking_id,  # type: ignore[attr-defined]
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    relayed = ops.twice("outbox-relay")
    assert total(relayed, "delivered") >= 4  # at least this tenant's events
    assert total(relayed, "parked") == 0
    once_between_two(ops, "notifications", world.tenant, "sent", 1)  # in-app only
    with bootstrap.postgres(ops_database.app_url, pool_size=1) as app:
        history = app.notifications.history(world.tenant, parent, actor=admin(world.tenant))
    sent = [n.type for n in history if n.status is NotificationStatus.SENT]
    assert sent == [NotificationType.BOOKING_CONFIRMED]  # once, however many relays ran


def test_idempotency_purge(ops: Ops, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(days=2))  # records are kept 24 hours
    world.family()
    counts = ops.twice("idempotency-purge", "--tenant", str(world.tenant))
    assert total(counts, "purged") >= 1
    code, out, _ = ops("idempotency-purge", "--tenant", str(world.tenant))
    assert (code, parse(out)) == (0, {"purged": 0})


def test_venue_scores(ops: Ops, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(0))
    world.session()
    world.session()
    once_between_two(ops, "venue-scores", world.tenant, "written", 2)


def test_billing_overdue(ops: Ops, database: PostgresDatabase) -> None:
    world = world_at(database, timedelta(days=40))  # due net 30
    billing = BillingService(database, world.clock)  # type: ignore[arg-type]
    subscription = world.ledger.create_subscription(
        CreateSubscription(
            tenant_id=world.tenant,
            corporate_id=new_uuid(),  # type: ignore[arg-type]
            tier=SubscriptionTier.STANDARD,
            covered_employees=40,
            credits_per_employee=30,
            monthly_cost=Money.of("1000.00", "EUR"),
            start_date=date(2026, 1, 1),
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    invoice = billing.issue_invoice(
        IssueInvoice(
            tenant_id=world.tenant,
            subscription_id=subscription.id,
            day=world.clock.now().date(),
            prefix="ACME",
            tax_rate=Decimal("0.19"),
            extra_lines=(
                InvoiceLine(description="Extra", quantity=1, unit_price=Money.of("5", "EUR")),
            ),
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    billing.send_invoice(
        ChangeInvoice(tenant_id=world.tenant, invoice_id=invoice.id, idempotency_key="send"),
        actor=admin(world.tenant),
    )
    once_between_two(ops, "billing-overdue", world.tenant, "overdue", 1)


def stuck_payment(database: PostgresDatabase) -> tuple[TenantId, TripId]:
    """A payment that never reached the provider, 20 minutes ago."""
    clock = ManualClock(now() - timedelta(minutes=20))
    travel = TravelService(database, clock)
    tenant = TenantId(new_uuid())
    travel.register_tenant(
        RegisterTenant(tenant_id=tenant, name="Acme", idempotency_key="t"), actor=admin(tenant)
    )
    trip = travel.book_trip(
        BookTrip(
            tenant_id=tenant,
            user_id=UserId(new_uuid()),
            currency="EUR",
            items=(
                LineItem.tour(
                    provider="Viator",
                    external_ref="T-1",
                    price_per_person=Money.of("80.00", "EUR"),
                    participants=1,
                    scheduled_on=now().date() + timedelta(days=30),
                ),
            ),
            idempotency_key="trip",
        ),
        actor=admin(tenant),
    )
    gateway = MemoryPaymentGateway("whsec_ops", clock=clock)
    gateway.available = False
    with pytest.raises(PaymentGatewayUnavailable):
        PaymentService(database, clock, gateway=gateway).pay(
            PayTrip(
                tenant_id=tenant,
                trip_id=TripId(trip.id),
                payment_method="pm_card_visa",
                idempotency_key="pay",
            ),
            actor=admin(tenant),
        )
    return tenant, TripId(trip.id)


# Stripe is configured but unreachable: a payment without a provider reference is settled
# without asking the provider.
STRIPE = {"STRIPE_API_KEY": "sk_test_ops", "STRIPE_API_BASE": "http://127.0.0.1:9"}


def test_payment_reconcile(ops: Ops, database: PostgresDatabase) -> None:
    tenant, trip = stuck_payment(database)
    assert total(ops.twice("payment-reconcile", "--tenant", str(tenant), env=STRIPE), "failed")
    code, out, _ = ops("payment-reconcile", "--tenant", str(tenant), env=STRIPE)
    assert (code, parse(out).get("failed")) == (0, 0)
    payments = PaymentService(database, ManualClock(now()), gateway=MemoryPaymentGateway())
    [payment] = payments.payments_for_trip(tenant, trip, actor=admin(tenant))
    assert payment.status is PaymentStatus.FAILED


def test_a_job_that_fails_exits_non_zero(ops: Ops, database: PostgresDatabase) -> None:
    tenant, _ = stuck_payment(database)
    code, _, err = ops("payment-reconcile", "--tenant", str(tenant), env={"STRIPE_API_KEY": ""})
    assert code == 1
    assert f"{tenant}: failed: NotWired" in err


def test_outbox_purge(ops: Ops, ops_database: ProvisionedDatabase) -> None:
    eight_days_ago = ManualClock(now() - timedelta(days=8))  # delivered ones are kept 7
    with bootstrap.postgres(ops_database.app_url, pool_size=2, clock=eight_days_ago) as app:
        world = World(app.database, eight_days_ago)
        world.family()
        delivered = app.relay.drain().delivered
    assert delivered >= 1
    purged = total(ops.twice("outbox-purge"), "purged")
    assert purged >= delivered
    code, out, _ = ops("outbox-purge")
    assert (code, parse(out)) == (0, {"purged": 0})


def test_tenants_are_created_listed_and_run_by_default(ops: Ops) -> None:
    tenant = str(new_uuid())
    code, out, _ = ops("create-tenant", "Globex", "--tenant-id", tenant)
    assert (code, out.strip()) == (0, tenant)
    assert ops("create-tenant", "Globex", "--tenant-id", tenant)[1].strip() == tenant
    code, out, _ = ops("tenants")
    assert tenant in out.split()
    code, out, _ = ops("hold-expiry")
    assert code == 0
    assert f"{tenant}: expired=0" in out.splitlines()


def test_the_crontab_names_every_job(ops: Ops) -> None:
    from travelcore_adapters.jobs import JOBS

    code, out, _ = ops("crontab")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "CRON_TZ=UTC"
    assert [line.split()[-1] for line in lines[1:]] == [job.name for job in JOBS]
    assert all(len(line.split()) == 5 + 4 for line in lines[1:])


def test_the_relay_worker_wakes_on_notify_and_stops_on_sigterm(
    ops: Ops, database: PostgresDatabase
) -> None:
    worker = ops.start("outbox-relay", "--loop", "--poll", "600")  # no polling within the test
    try:
        assert worker.stderr is not None
        assert "relaying until stopped" in worker.stderr.readline()
        ops.twice("outbox-relay")  # nothing left over from other tests
        world = world_at(database, timedelta(0))
        world.family()
        store = PostgresOutbox(database.engine)
        deadline = time.monotonic() + 30
        while store.entries(world.tenant, OutboxStatus.PENDING):
            assert time.monotonic() < deadline, "the worker was not woken"
            time.sleep(0.1)
        assert store.entries(world.tenant, OutboxStatus.DELIVERED)
        store.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert out.strip() == "relay stopped"


def test_curation(ops: Ops, database: PostgresDatabase, ops_database: ProvisionedDatabase) -> None:
    from sqlalchemy import create_engine

    from travelcore.vectors import VectorRecord, namespace_for
    from travelcore_adapters.onnx import all_minilm_l6_v2
    from travelcore_adapters.pgvector import PgVectorStore, create_schema

    owner, app_engine = (
        create_engine(url.set(drivername="postgresql+psycopg"))
        for url in (ops_database.owner_url, ops_database.app_url)
    )
    create_schema(owner, 384, app_role=ops_database.app_role)  # what `migrate` creates
    world = world_at(database, timedelta(0))
    month = (now() + timedelta(days=62)).date().replace(day=1)
    sessions = [
        world.get_session(world.session(local=(month.replace(day=day), time_of_day(10))))
        for day in (10, 17, 24)
    ]
    with database(world.tenant) as uow:
        names = {str(s.activity_id): uow.activities.get(s.activity_id).name for s in sessions}
    embedder = all_minilm_l6_v2(threads=1)
    vectors = embedder.embed(list(names.values()))
    PgVectorStore(app_engine, 384).upsert(
        namespace_for(world.tenant, "activities"),
        [VectorRecord(i, v, {}) for i, v in zip(names, vectors, strict=True)],
    )
    owner.dispose()
    app_engine.dispose()
    world.family(born=[date(2018, 5, 1)])
    args = ("curation", "--tenant", str(world.tenant), "--month", f"{month:%Y-%m}")
    counts = ops.twice(*args)
    assert total(counts, "parents") == 1
    assert 1 <= total(counts, "suggestions") <= 3
    code, out, _ = ops(*args)
    assert (code, parse(out)) == (0, {"parents": 0, "suggestions": 0, "skipped": 1})


def test_retention(ops: Ops, ops_database: ProvisionedDatabase) -> None:
    month_ago = ManualClock(now() - timedelta(days=31))
    with bootstrap.postgres(ops_database.app_url, pool_size=2, clock=month_ago) as app:
        world = World(app.database, month_ago)
        parent, [child] = world.family()
        ChildDeletion(app.database, month_ago).request(
            child, actor=Actor(tenant_id=world.tenant, role=Role.PARENT, user_id=parent)
        )
    tenant = str(world.tenant)
    assert total(ops.twice("retention", "--tenant", tenant), "child_erasure") == 1
    code, out, _ = ops("retention", "--tenant", tenant)
    assert (code, parse(out).get("child_erasure")) == (0, 0)
    with (
        bootstrap.postgres(ops_database.app_url, pool_size=2) as app,
        app.database(world.tenant) as uow,
        pytest.raises(NotFound),
    ):
        uow.children.get(child)
