"""The composition root and the API defaults it exposes, on memory and on PostgreSQL: both
back ends give the same result or the same error class for every call here."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal

import psycopg
import pytest

from travelcore.accounts import RegisterAccount, Secret
from travelcore.booking import BookingStatusChanged, BookSession
from travelcore.catalog import (
    ActivityCategory,
    ActivityId,
    ApplyVenue,
    ChangeVenueStatus,
    CreateActivity,
    GenerateSessions,
    ScheduleId,
    ScheduleSession,
    VenueAction,
    VenueId,
    VenueStatus,
)
from travelcore.kernel import (
    AlreadyExists,
    DomainEvent,
    InsufficientCredits,
    ManualClock,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.ledger import AllocateCredits
from travelcore.people import AddChild, RegisterCorporate, RegisterUser, UserRole
from travelcore.testing.actors import admin, job
from travelcore.vectors import HashingEmbedder
from travelcore_adapters import bootstrap
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import ProvisionedDatabase
from travelcore_adapters.security import AesGcmSecretBox

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
OpenApp = Callable[..., bootstrap.App]


@pytest.fixture(params=["memory", "postgres"])
def open_app(request: pytest.FixtureRequest) -> Iterator[OpenApp]:
    """``open_app(**parts)``: an app on the parametrized back end; closed after the test."""
    opened: list[bootstrap.App] = []

    def open_app(**parts: object) -> bootstrap.App:
        if request.param == "memory":
            app = bootstrap.memory(**parts)  # type: ignore[arg-type]
        else:
            db: ProvisionedDatabase = request.getfixturevalue("postgres_test_database")
            app = bootstrap.postgres(db.app_url, pool_size=2, **parts)  # type: ignore[arg-type]
        opened.append(app)
        return app

    yield open_app
    for app in opened:
        app.close()


def _venue(app: bootstrap.App, tenant: TenantId, slug: str, key: str | None = None) -> VenueId:
    return app.catalog.apply_venue(
        ApplyVenue(
            tenant_id=tenant,
            name=slug.title(),
            slug=slug,
            insurance_coverage=Decimal(2_000_000),
            insurance_expiry_date=date(2030, 1, 1),
            idempotency_key=key,
        ),
        actor=admin(tenant),
    )


def _activity(app: bootstrap.App, tenant: TenantId, venue: VenueId) -> ActivityId:
    return app.catalog.create_activity(
        CreateActivity(
            tenant_id=tenant,
            venue_id=venue,
            name="Swimming",
            category=ActivityCategory.SPORTS,
            duration_minutes=50,
            credits_required=5,
            capacity_per_session=4,
        ),
        actor=admin(tenant),
    )


def test_set_up_commands_run_without_a_key_and_once_per_key(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    tenant = TenantId(new_uuid())
    first, second = _venue(app, tenant, "pool"), _venue(app, tenant, "rink")
    assert first != second
    with pytest.raises(AlreadyExists):
        _venue(app, tenant, "pool")  # no key: a blind retry meets the unique slug
    keyed = _venue(app, tenant, "court", key="court")
    assert _venue(app, tenant, "court", key="court") == keyed


def test_set_up_commands_without_a_key_are_checked_first(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    stranger = TenantId(new_uuid())
    with pytest.raises(ValidationFailed) as refused:
        app.catalog.generate_sessions(
            GenerateSessions(
                tenant_id=stranger,
                schedule_id=ScheduleId(new_uuid()),
                through="2026-12-31",  # type: ignore[arg-type]
            ),
            actor=job(stranger),
        )
    assert (refused.value.field, refused.value.rule) == ("through", "date")


def test_money_and_seat_commands_require_a_key(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    tenant = TenantId(new_uuid())
    with pytest.raises(TypeError, match="idempotency_key"):
        AllocateCredits(tenant_id=tenant, user_id=UserId(new_uuid()), credits=5)  # type: ignore[call-arg]
    with pytest.raises(ValidationFailed) as refused:
        app.ledger.allocate_credits(
            AllocateCredits(
                tenant_id=tenant, user_id=UserId(new_uuid()), credits=5, idempotency_key=" "
            ),
            actor=admin(tenant),
        )
    assert refused.value.field == "idempotency_key"


def test_venue_actions_are_an_enum(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    tenant = TenantId(new_uuid())
    venue = _venue(app, tenant, "pool")
    approve = ChangeVenueStatus(tenant_id=tenant, venue_id=venue, action="approve")  # type: ignore[arg-type]
    assert approve.action is VenueAction.APPROVE
    assert (
        app.catalog.change_venue_status(approve, actor=admin(approve.tenant_id))
        is VenueStatus.ACTIVE
    )
    with pytest.raises(ValidationFailed) as refused:
        ChangeVenueStatus(tenant_id=tenant, venue_id=venue, action="close")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.rule) == ("action", "venue_action")


def test_a_session_ends_after_the_activity_s_duration(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    tenant = TenantId(new_uuid())
    activity = _activity(app, tenant, _venue(app, tenant, "pool"))

    def schedule(start: time, end: time | None = None) -> object:
        return app.catalog.schedule_session(
            ScheduleSession(
                tenant_id=tenant,
                activity_id=activity,
                session_date=date(2026, 3, 9),
                start_time=start,
                end_time=end,
            ),
            actor=admin(tenant),
        )

    derived = app.catalog.session(tenant, schedule(time(10)), actor=admin(tenant))  # type: ignore[arg-type]
    assert (derived.start_time, derived.end_time) == (time(10), time(10, 50))
    given = app.catalog.session(tenant, schedule(time(12), time(14)), actor=admin(tenant))  # type: ignore[arg-type]
    assert given.end_time == time(14)
    with pytest.raises(ValidationFailed) as refused:
        schedule(time(23, 30))  # 50 minutes would end tomorrow
    assert refused.value.field == "end_time"


def test_credits_default_to_today_s_period(open_app: OpenApp) -> None:
    clock = ManualClock(NOW)
    app = open_app(clock=clock)
    tenant, parent = TenantId(new_uuid()), UserId(new_uuid())
    assert app.ledger.balance_for(tenant, parent, actor=admin(tenant)) is None
    app.ledger.allocate_credits(
        AllocateCredits(tenant_id=tenant, user_id=parent, credits=30, idempotency_key="march"),
        actor=admin(tenant),
    )
    march = app.ledger.balance_for(tenant, parent, actor=admin(tenant))
    assert march is not None
    assert (march.period.start, march.available) == (date(2026, 3, 1), 30)
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    assert app.ledger.balance_for(tenant, parent, actor=admin(tenant)) is None
    assert app.ledger.balance_for(tenant, parent, date(2026, 3, 31), actor=admin(tenant)) == march


def test_a_parent_needs_a_corporate(open_app: OpenApp) -> None:
    app = open_app(clock=ManualClock(NOW))
    stranger = TenantId(new_uuid())
    with pytest.raises(ValidationFailed) as refused:
        app.people.register_user(
            RegisterUser(
                tenant_id=stranger,
                email="lone@example.test",
                role=UserRole.PARENT,
                first_name="Lone",
                last_name="Parent",
            ),
            actor=admin(stranger),
        )
    assert (refused.value.field, refused.value.rule) == ("corporate_id", "required_for_role")


def test_subscribers_see_committed_events_only(open_app: OpenApp) -> None:
    seen: list[DomainEvent] = []
    app = open_app(clock=ManualClock(NOW), subscribers=[seen.append])
    tenant = TenantId(new_uuid())
    venue = _venue(app, tenant, "pool")
    app.catalog.change_venue_status(
        ChangeVenueStatus(tenant_id=tenant, venue_id=venue, action=VenueAction.APPROVE),
        actor=admin(tenant),
    )
    session = app.catalog.schedule_session(
        ScheduleSession(
            tenant_id=tenant,
            activity_id=_activity(app, tenant, venue),
            session_date=date(2026, 3, 9),
            start_time=time(10),
        ),
        actor=admin(tenant),
    )
    corporate = app.people.register_corporate(
        RegisterCorporate(
            tenant_id=tenant,
            company_name="Acme",
            primary_contact_name="Ada",
            primary_contact_email="hr@acme.test",
            contract_start_date=date(2026, 1, 1),
        ),
        actor=admin(tenant),
    )
    parent = app.people.register_user(
        RegisterUser(
            tenant_id=tenant,
            email="sam@acme.test",
            role=UserRole.PARENT,
            first_name="Sam",
            last_name="Lee",
            corporate_id=corporate,
        ),
        actor=admin(tenant),
    )
    child = app.people.add_child(
        AddChild(
            tenant_id=tenant, parent_id=parent, first_name="Mia", date_of_birth=date(2018, 5, 1)
        ),
        actor=admin(tenant),
    )
    book = BookSession(
        tenant_id=tenant, session_id=session, child_id=child, parent_id=parent, idempotency_key="b"
    )
    seen.clear()
    with pytest.raises(InsufficientCredits):
        app.booking.book(
            book, actor=admin(book.tenant_id)
        )  # no credits yet: refused, rolled back, nothing published
    assert seen == []
    app.ledger.allocate_credits(
        AllocateCredits(tenant_id=tenant, user_id=parent, credits=5, idempotency_key="c"),
        actor=admin(tenant),
    )
    app.booking.book(book, actor=admin(book.tenant_id))
    changes = [e for e in seen if isinstance(e, BookingStatusChanged)]
    assert [(e.from_status, e.to_status) for e in changes] == [(None, "pending")]
    assert app.events.published[-len(seen) :] == seen


def test_parts_not_given(open_app: OpenApp, request: pytest.FixtureRequest) -> None:
    app = open_app()
    if "postgres" in request.node.callspec.id:
        with pytest.raises(bootstrap.NotWired, match="gateway"):
            app.payments  # noqa: B018
    else:
        assert app.payments is not None  # the in-process gateway
    with pytest.raises(bootstrap.NotWired, match="secret_box"):
        app.accounts  # noqa: B018
    assert app.vector_store.dimension == app.embedder.dimension


def test_accounts_with_a_secret_box(open_app: OpenApp) -> None:
    box = AesGcmSecretBox({"k1": secrets.token_bytes(32)}, current="k1")
    app = open_app(clock=ManualClock(NOW), secret_box=box)
    tenant, user = TenantId(new_uuid()), UserId(new_uuid())
    app.accounts.register(
        RegisterAccount(
            tenant_id=tenant,
            user_id=user,
            email="ada@example.test",
            name="Ada",
            password=Secret("correct horse battery staple"),
            idempotency_key="r",
        ),
        actor=admin(tenant),
    )
    account = app.accounts.authenticate(
        tenant, "ada@example.test", Secret("correct horse battery staple")
    )
    assert account.user_id == user


def test_a_store_of_another_dimension_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        bootstrap.memory(vector_store=MemoryVectorStore(8), embedder=HashingEmbedder(16))
    assert refused.value.field == "embedder"


def test_closing_is_idempotent() -> None:
    app = bootstrap.memory()
    app.close()
    app.close()


def test_embedded_provisions_a_powerless_app_role_and_stops_on_close() -> None:
    with bootstrap.embedded() as app:
        provisioned = app.provisioned
        assert provisioned is not None
        url = provisioned.superuser_url
        with psycopg.connect(url, dbname=provisioned.name) as conn:
            role = conn.execute(
                "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = %s",
                (provisioned.app_role,),
            ).fetchone()
            extension = conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
        assert role == (False, False, False)
        assert extension == (1,)
        other = TenantId(new_uuid())
        assert app.catalog.sessions(other, ActivityId(new_uuid()), actor=admin(other)) == []
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
