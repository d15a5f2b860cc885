"""The PostgreSQL unit of work: one transaction on one pooled connection for one tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Executable
from sqlalchemy.engine import CursorResult

from travelcore.audit import audit_entries
from travelcore.catalog import SessionId
from travelcore.kernel import (
    Change,
    Clock,
    Conflict,
    EventBus,
    OutboxMessage,
    TenantId,
    UnitOfWorkBase,
    UserId,
)
from travelcore.people import ChildId
from travelcore_adapters.postgres.outbox import PostgresInbox, outbox_statements, waker
from travelcore_adapters.postgres.repositories.accounts import (
    PostgresAccounts,
    PostgresConversations,
    PostgresCredentials,
)
from travelcore_adapters.postgres.repositories.apikeys import PostgresApiKeys
from travelcore_adapters.postgres.repositories.audit import PostgresAuditLog, audit_statements
from travelcore_adapters.postgres.repositories.billing import PostgresInvoices, PostgresPayouts
from travelcore_adapters.postgres.repositories.booking import (
    PostgresBookingRepository,
    PostgresWaitlistRepository,
)
from travelcore_adapters.postgres.repositories.catalog import (
    PostgresActivityRepository,
    PostgresScheduleRepository,
    PostgresSessionRepository,
    PostgresVenueRepository,
)
from travelcore_adapters.postgres.repositories.discovery import (
    PostgresActivityRatings,
    PostgresChildPreferences,
    PostgresFavourites,
    PostgresFeedback,
    PostgresMemoryEntries,
    PostgresReviews,
    PostgresSearchLogs,
    PostgresSuggestions,
    PostgresUserLocations,
    PostgresVenueLocations,
    PostgresVenueScores,
)
from travelcore_adapters.postgres.repositories.flags import PostgresFeatureFlags
from travelcore_adapters.postgres.repositories.invitations import PostgresInvitations
from travelcore_adapters.postgres.repositories.kernel import PostgresIdempotencyStore
from travelcore_adapters.postgres.repositories.ledger import (
    PostgresLedgerRepository,
    PostgresSubscriptionRepository,
)
from travelcore_adapters.postgres.repositories.notifications import (
    PostgresNotificationRepository,
    PostgresPreferenceRepository,
    PostgresTemplateRepository,
)
from travelcore_adapters.postgres.repositories.payments import (
    PostgresPayments,
    PostgresWebhookEvents,
)
from travelcore_adapters.postgres.repositories.people import (
    PostgresChildRepository,
    PostgresCorporateRepository,
    PostgresUserRepository,
)
from travelcore_adapters.postgres.repositories.prefetch import prefetch_booking
from travelcore_adapters.postgres.repositories.privacy import (
    PostgresChats,
    PostgresConsents,
    PostgresDataExports,
    PostgresErasure,
    PostgresPersonalData,
)
from travelcore_adapters.postgres.repositories.scope import PostgresScope
from travelcore_adapters.postgres.repositories.settings import PostgresPlatformSettings
from travelcore_adapters.postgres.repositories.travel import (
    PostgresItineraries,
    PostgresReminders,
    PostgresTenants,
    PostgresTravelPolicies,
    PostgresTravelPreferences,
    PostgresTrips,
)
from travelcore_adapters.postgres.repositories.vectors import PostgresVectorSyncRepository
from travelcore_adapters.postgres.transaction import COMMIT, ROLLBACK, Transaction


class TransactionAborted(Conflict):
    """``commit()`` on a transaction that PostgreSQL had already aborted."""

    code = "transaction_aborted"


class PostgresUnitOfWork(UnitOfWorkBase):
    """Implements travelcore's repository ports over PostgreSQL.

    The first statement of the transaction sets ``app.tenant_id``, which the row-level
    security policies of every tenant table compare with each row's ``tenant_id``;
    repositories also state ``tenant_id = :tid`` in every query.

    Its public surface is the ports' (the repositories, ``commit``, ``rollback``,
    ``batched``, ``emit``, ``prefetch_booking``) plus raw SQL in the transaction
    (:attr:`connection`, :meth:`execute`). How statements travel (batches, read-ahead,
    the statement path) is the business of one object, :attr:`scope`: the
    :class:`~.transaction.Transaction` every repository is built on, and the one a
    repository of your own takes.
    """

    idempotency: PostgresIdempotencyStore
    credits: PostgresLedgerRepository
    subscriptions: PostgresSubscriptionRepository
    tenants: PostgresTenants
    travel_policies: PostgresTravelPolicies
    travel_preferences: PostgresTravelPreferences
    itineraries: PostgresItineraries
    trips: PostgresTrips
    reminders: PostgresReminders
    payments: PostgresPayments
    webhook_events: PostgresWebhookEvents
    invoices: PostgresInvoices
    payouts: PostgresPayouts
    accounts: PostgresAccounts
    conversations: PostgresConversations
    credentials: PostgresCredentials
    vector_sync: PostgresVectorSyncRepository
    corporates: PostgresCorporateRepository
    users: PostgresUserRepository
    children: PostgresChildRepository
    venues: PostgresVenueRepository
    activities: PostgresActivityRepository
    sessions: PostgresSessionRepository
    schedules: PostgresScheduleRepository
    bookings: PostgresBookingRepository
    waitlist: PostgresWaitlistRepository
    feature_flags: PostgresFeatureFlags
    api_keys: PostgresApiKeys
    platform_settings: PostgresPlatformSettings
    audit_log: PostgresAuditLog
    invitations: PostgresInvitations
    search_logs: PostgresSearchLogs
    user_locations: PostgresUserLocations
    venue_locations: PostgresVenueLocations
    reviews: PostgresReviews
    feedback: PostgresFeedback
    activity_ratings: PostgresActivityRatings
    child_preferences: PostgresChildPreferences
    favourites: PostgresFavourites
    memory_entries: PostgresMemoryEntries
    venue_scores: PostgresVenueScores
    suggestions: PostgresSuggestions
    inbox: PostgresInbox
    notifications: PostgresNotificationRepository
    notification_preferences: PostgresPreferenceRepository
    notification_templates: PostgresTemplateRepository
    consents: PostgresConsents
    data_exports: PostgresDataExports
    erasure: PostgresErasure
    chats: PostgresChats

    def __init__(
        self,
        engine: Engine,
        tenant_id: TenantId,
        bus: EventBus | None = None,
        *,
        clock: Clock | None = None,
    ):
        super().__init__(tenant_id, bus, clock=clock)
        self._engine = engine
        self._tx = Transaction(engine, tenant_id, self.record.seen, self.record.changed)
        self._wakes_relays = False

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """A repository is made on first use (a unit of work touches few of them)."""
            make = _REPOSITORIES.get(name)
            if make is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            repository = self.__dict__[name] = make(self._tx)
            return repository

    @property
    def personal_data(self) -> PostgresPersonalData:
        """One person's records, read through this unit of work's repositories."""
        return PostgresPersonalData(self)

    @property
    def scope(self) -> PostgresScope:
        """The transaction's statements, as the repositories see them."""
        return self._tx

    @property
    def connection(self) -> Connection:
        """The transaction's connection (raw SQL still sees only this tenant's rows)."""
        return self._tx.connection

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run a SQLAlchemy statement in the transaction (once per mapping if given a
        sequence of them), translating driver errors."""
        return self._tx.execute(statement, params)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Writes made inside go to the server together (see ``Transaction.batched``)."""
        with self._tx.batched():
            yield

    def prefetch_booking(
        self,
        session_id: SessionId,
        child_ids: Sequence[ChildId],
        parent_id: UserId,
        day: date,
        codes: Sequence[str],
    ) -> None:
        prefetch_booking(self._tx, self, session_id, child_ids, parent_id, day, codes)

    @property
    def aborted(self) -> bool:
        """Whether PostgreSQL aborted the transaction (a statement failed)."""
        return self._tx.aborted

    # -- the transaction --------------------------------------------------------------------

    def _begin(self) -> None:
        self._tx.begin()

    def _commit(self) -> None:
        if self._tx.aborted:
            raise TransactionAborted(
                "an earlier statement failed, so PostgreSQL rolled the transaction back; "
                "nothing was committed"
            )
        self._tx.end(COMMIT)
        if self._wakes_relays:
            waker(self._engine).wake()

    def _write_outbox(self, messages: list[OutboxMessage]) -> None:
        for statement, params in outbox_statements(messages):  # sent with the COMMIT
            self._tx.enqueue(statement, params)
        self._wakes_relays = True

    def _write_changes(self, changes: list[Change]) -> None:
        entries = audit_entries(self.tenant_id, changes, self.actor, self.clock.now())
        for statement, params in audit_statements(entries):  # sent with the COMMIT
            self._tx.enqueue(statement, params)

    def _rollback(self) -> None:
        self._tx.discard()
        if self._tx.begun:
            self._tx.end(ROLLBACK)

    def _finish(self) -> None:
        self._wakes_relays = False
        self._tx.close()


_REPOSITORIES: dict[str, Callable[[Transaction], Any]] = {
    name: globals()[kind] for name, kind in PostgresUnitOfWork.__annotations__.items()
}
"""The repositories declared on :class:`PostgresUnitOfWork`, by attribute name."""
