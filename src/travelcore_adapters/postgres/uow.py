"""The PostgreSQL unit of work: one transaction on one pooled connection for one tenant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
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
from travelcore_adapters.postgres.outbox import WAKE, PostgresInbox, outbox_statements, waker
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
        self._tx = Transaction(engine, tenant_id, self.seen, self.changed)
        self._wakes_relays = False

    # -- the repositories (each made when first used) -------------------------------------

    @cached_property
    def idempotency(self) -> PostgresIdempotencyStore:
        return PostgresIdempotencyStore(self._tx)

    @cached_property
    def credits(self) -> PostgresLedgerRepository:
        return PostgresLedgerRepository(self._tx)

    @cached_property
    def subscriptions(self) -> PostgresSubscriptionRepository:
        return PostgresSubscriptionRepository(self._tx)

    @cached_property
    def tenants(self) -> PostgresTenants:
        return PostgresTenants(self._tx)

    @cached_property
    def travel_policies(self) -> PostgresTravelPolicies:
        return PostgresTravelPolicies(self._tx)

    @cached_property
    def travel_preferences(self) -> PostgresTravelPreferences:
        return PostgresTravelPreferences(self._tx)

    @cached_property
    def itineraries(self) -> PostgresItineraries:
        return PostgresItineraries(self._tx)

    @cached_property
    def trips(self) -> PostgresTrips:
        return PostgresTrips(self._tx)

    @cached_property
    def reminders(self) -> PostgresReminders:
        return PostgresReminders(self._tx)

    @cached_property
    def payments(self) -> PostgresPayments:
        return PostgresPayments(self._tx)

    @cached_property
    def webhook_events(self) -> PostgresWebhookEvents:
        return PostgresWebhookEvents(self._tx)

    @cached_property
    def invoices(self) -> PostgresInvoices:
        return PostgresInvoices(self._tx)

    @cached_property
    def payouts(self) -> PostgresPayouts:
        return PostgresPayouts(self._tx)

    @cached_property
    def accounts(self) -> PostgresAccounts:
        return PostgresAccounts(self._tx)

    @cached_property
    def conversations(self) -> PostgresConversations:
        return PostgresConversations(self._tx)

    @cached_property
    def credentials(self) -> PostgresCredentials:
        return PostgresCredentials(self._tx)

    @cached_property
    def vector_sync(self) -> PostgresVectorSyncRepository:
        return PostgresVectorSyncRepository(self._tx)

    @cached_property
    def corporates(self) -> PostgresCorporateRepository:
        return PostgresCorporateRepository(self._tx)

    @cached_property
    def users(self) -> PostgresUserRepository:
        return PostgresUserRepository(self._tx)

    @cached_property
    def children(self) -> PostgresChildRepository:
        return PostgresChildRepository(self._tx)

    @cached_property
    def venues(self) -> PostgresVenueRepository:
        return PostgresVenueRepository(self._tx)

    @cached_property
    def activities(self) -> PostgresActivityRepository:
        return PostgresActivityRepository(self._tx)

    @cached_property
    def sessions(self) -> PostgresSessionRepository:
        return PostgresSessionRepository(self._tx)

    @cached_property
    def schedules(self) -> PostgresScheduleRepository:
        return PostgresScheduleRepository(self._tx)

    @cached_property
    def bookings(self) -> PostgresBookingRepository:
        return PostgresBookingRepository(self._tx)

    @cached_property
    def waitlist(self) -> PostgresWaitlistRepository:
        return PostgresWaitlistRepository(self._tx)

    @cached_property
    def feature_flags(self) -> PostgresFeatureFlags:
        return PostgresFeatureFlags(self._tx)

    @cached_property
    def api_keys(self) -> PostgresApiKeys:
        return PostgresApiKeys(self._tx)

    @cached_property
    def platform_settings(self) -> PostgresPlatformSettings:
        return PostgresPlatformSettings(self._tx)

    @cached_property
    def audit_log(self) -> PostgresAuditLog:
        return PostgresAuditLog(self._tx)

    @cached_property
    def invitations(self) -> PostgresInvitations:
        return PostgresInvitations(self._tx)

    @cached_property
    def search_logs(self) -> PostgresSearchLogs:
        return PostgresSearchLogs(self._tx)

    @cached_property
    def user_locations(self) -> PostgresUserLocations:
        return PostgresUserLocations(self._tx)

    @cached_property
    def venue_locations(self) -> PostgresVenueLocations:
        return PostgresVenueLocations(self._tx)

    @cached_property
    def reviews(self) -> PostgresReviews:
        return PostgresReviews(self._tx)

    @cached_property
    def feedback(self) -> PostgresFeedback:
        return PostgresFeedback(self._tx)

    @cached_property
    def activity_ratings(self) -> PostgresActivityRatings:
        return PostgresActivityRatings(self._tx)

    @cached_property
    def child_preferences(self) -> PostgresChildPreferences:
        return PostgresChildPreferences(self._tx)

    @cached_property
    def favourites(self) -> PostgresFavourites:
        return PostgresFavourites(self._tx)

    @cached_property
    def memory_entries(self) -> PostgresMemoryEntries:
        return PostgresMemoryEntries(self._tx)

    @cached_property
    def venue_scores(self) -> PostgresVenueScores:
        return PostgresVenueScores(self._tx)

    @cached_property
    def suggestions(self) -> PostgresSuggestions:
        return PostgresSuggestions(self._tx)

    @cached_property
    def inbox(self) -> PostgresInbox:
        return PostgresInbox(self._tx)

    @cached_property
    def notifications(self) -> PostgresNotificationRepository:
        return PostgresNotificationRepository(self._tx)

    @cached_property
    def notification_preferences(self) -> PostgresPreferenceRepository:
        return PostgresPreferenceRepository(self._tx)

    @cached_property
    def notification_templates(self) -> PostgresTemplateRepository:
        return PostgresTemplateRepository(self._tx)

    @cached_property
    def consents(self) -> PostgresConsents:
        return PostgresConsents(self._tx)

    @cached_property
    def data_exports(self) -> PostgresDataExports:
        return PostgresDataExports(self._tx)

    @cached_property
    def personal_data(self) -> PostgresPersonalData:
        return PostgresPersonalData(self)

    @cached_property
    def erasure(self) -> PostgresErasure:
        return PostgresErasure(self._tx)

    @cached_property
    def chats(self) -> PostgresChats:
        return PostgresChats(self._tx)

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
        wake = WAKE if self._wakes_relays else None
        if not self._tx.end(COMMIT, then=wake) and wake is not None:
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
