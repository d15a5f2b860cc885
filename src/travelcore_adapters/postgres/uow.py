"""The PostgreSQL unit of work: one transaction on one pooled connection for one tenant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

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
        self._tx = tx = Transaction(engine, tenant_id, self.seen, self.changed)
        self._wakes_relays = False
        self.idempotency = PostgresIdempotencyStore(tx)
        self.credits = PostgresLedgerRepository(tx)
        self.subscriptions = PostgresSubscriptionRepository(tx)
        self.tenants = PostgresTenants(tx)
        self.travel_policies = PostgresTravelPolicies(tx)
        self.travel_preferences = PostgresTravelPreferences(tx)
        self.itineraries = PostgresItineraries(tx)
        self.trips = PostgresTrips(tx)
        self.reminders = PostgresReminders(tx)
        self.payments = PostgresPayments(tx)
        self.webhook_events = PostgresWebhookEvents(tx)
        self.invoices = PostgresInvoices(tx)
        self.payouts = PostgresPayouts(tx)
        self.accounts = PostgresAccounts(tx)
        self.conversations = PostgresConversations(tx)
        self.credentials = PostgresCredentials(tx)
        self.vector_sync = PostgresVectorSyncRepository(tx)
        self.corporates = PostgresCorporateRepository(tx)
        self.users = PostgresUserRepository(tx)
        self.children = PostgresChildRepository(tx)
        self.venues = PostgresVenueRepository(tx)
        self.activities = PostgresActivityRepository(tx)
        self.sessions = PostgresSessionRepository(tx)
        self.schedules = PostgresScheduleRepository(tx)
        self.bookings = PostgresBookingRepository(tx)
        self.waitlist = PostgresWaitlistRepository(tx)
        self.feature_flags = PostgresFeatureFlags(tx)
        self.api_keys = PostgresApiKeys(tx)
        self.platform_settings = PostgresPlatformSettings(tx)
        self.audit_log = PostgresAuditLog(tx)
        self.invitations = PostgresInvitations(tx)
        self.search_logs = PostgresSearchLogs(tx)
        self.user_locations = PostgresUserLocations(tx)
        self.venue_locations = PostgresVenueLocations(tx)
        self.reviews = PostgresReviews(tx)
        self.feedback = PostgresFeedback(tx)
        self.activity_ratings = PostgresActivityRatings(tx)
        self.child_preferences = PostgresChildPreferences(tx)
        self.favourites = PostgresFavourites(tx)
        self.memory_entries = PostgresMemoryEntries(tx)
        self.venue_scores = PostgresVenueScores(tx)
        self.suggestions = PostgresSuggestions(tx)
        self.inbox = PostgresInbox(tx)
        self.notifications = PostgresNotificationRepository(tx)
        self.notification_preferences = PostgresPreferenceRepository(tx)
        self.notification_templates = PostgresTemplateRepository(tx)
        self.consents = PostgresConsents(tx)
        self.data_exports = PostgresDataExports(tx)
        self.personal_data = PostgresPersonalData(self)
        self.erasure = PostgresErasure(tx)
        self.chats = PostgresChats(tx)

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
