"""The PostgreSQL unit of work: one transaction on one pooled connection for one tenant."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

import psycopg
from psycopg import pq
from sqlalchemy import Connection, Engine, Executable, text
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
from travelcore.kernel.telemetry import REPOSITORY_BATCH, span
from travelcore.people import ChildId
from travelcore_adapters.postgres.errors import translated
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
from travelcore_adapters.postgres.repositories.scope import Query
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
from travelcore_adapters.postgres.statements import Expect, Statement, checked
from travelcore_adapters.postgres.wire import Batch, Reply, start_transaction


class TransactionAborted(Conflict):
    """``commit()`` on a transaction that PostgreSQL had already aborted."""

    code = "transaction_aborted"


COMMIT, ROLLBACK = (Statement(text(word)) for word in ("COMMIT", "ROLLBACK"))


class PostgresUnitOfWork(UnitOfWorkBase):
    """Implements travelcore's repository ports over PostgreSQL.

    The first statement of the transaction sets ``app.tenant_id``, which the row-level
    security policies of every tenant table compare with each row's ``tenant_id``;
    repositories also state ``tenant_id = :tid`` in every query.

    Prebuilt statements travel in batches (:mod:`~travelcore_adapters.postgres.wire`):
    whatever is queued (the start of the transaction and the tenant setting, writes inside
    :meth:`batched`, a :meth:`prefetch`) goes to the server with the next statement that
    needs an answer, in one round trip.
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
        self._connection: Connection | None = None
        self._raw: psycopg.Connection[Any] | None = None
        self._batch: Batch | None = None
        self._arrivals: list[Callable[[], None]] = []
        self._batching = 0
        self._writes = 0
        self._prefetched: dict[Hashable, list[Any]] = {}
        self._wakes_relays = False
        self.idempotency = PostgresIdempotencyStore(self)
        self.credits = PostgresLedgerRepository(self)
        self.subscriptions = PostgresSubscriptionRepository(self)
        self.tenants = PostgresTenants(self)
        self.travel_policies = PostgresTravelPolicies(self)
        self.travel_preferences = PostgresTravelPreferences(self)
        self.itineraries = PostgresItineraries(self)
        self.trips = PostgresTrips(self)
        self.reminders = PostgresReminders(self)
        self.payments = PostgresPayments(self)
        self.webhook_events = PostgresWebhookEvents(self)
        self.invoices = PostgresInvoices(self)
        self.payouts = PostgresPayouts(self)
        self.accounts = PostgresAccounts(self)
        self.conversations = PostgresConversations(self)
        self.credentials = PostgresCredentials(self)
        self.vector_sync = PostgresVectorSyncRepository(self)
        self.corporates = PostgresCorporateRepository(self)
        self.users = PostgresUserRepository(self)
        self.children = PostgresChildRepository(self)
        self.venues = PostgresVenueRepository(self)
        self.activities = PostgresActivityRepository(self)
        self.sessions = PostgresSessionRepository(self)
        self.schedules = PostgresScheduleRepository(self)
        self.bookings = PostgresBookingRepository(self)
        self.waitlist = PostgresWaitlistRepository(self)
        self.feature_flags = PostgresFeatureFlags(self)
        self.api_keys = PostgresApiKeys(self)
        self.platform_settings = PostgresPlatformSettings(self)
        self.audit_log = PostgresAuditLog(self)
        self.invitations = PostgresInvitations(self)
        self.search_logs = PostgresSearchLogs(self)
        self.user_locations = PostgresUserLocations(self)
        self.venue_locations = PostgresVenueLocations(self)
        self.reviews = PostgresReviews(self)
        self.feedback = PostgresFeedback(self)
        self.activity_ratings = PostgresActivityRatings(self)
        self.child_preferences = PostgresChildPreferences(self)
        self.favourites = PostgresFavourites(self)
        self.memory_entries = PostgresMemoryEntries(self)
        self.venue_scores = PostgresVenueScores(self)
        self.suggestions = PostgresSuggestions(self)
        self.inbox = PostgresInbox(self)
        self.notifications = PostgresNotificationRepository(self)
        self.notification_preferences = PostgresPreferenceRepository(self)
        self.notification_templates = PostgresTemplateRepository(self)
        self.consents = PostgresConsents(self)
        self.data_exports = PostgresDataExports(self)
        self.personal_data = PostgresPersonalData(self)
        self.erasure = PostgresErasure(self)
        self.chats = PostgresChats(self)

    @property
    def connection(self) -> Connection:
        """The transaction's connection (raw SQL still sees only this tenant's rows)."""
        if self._connection is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        self._sync()
        return self._connection

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run a SQLAlchemy statement in the transaction (once per mapping if given a
        sequence of them), translating driver errors."""
        connection = self.connection
        self._writes += 1
        self._prefetched.clear()
        with translated():
            return connection.execute(statement, params)

    def prefetch_booking(
        self,
        session_id: SessionId,
        child_ids: Sequence[ChildId],
        parent_id: UserId,
        day: date,
        codes: Sequence[str],
    ) -> None:
        prefetch_booking(self, session_id, child_ids, parent_id, day, codes)

    # -- prebuilt statements on the driver connection ---------------------------------------

    def rows(self, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
        """The rows of a query, sent with everything queued in one round trip (or, once,
        the rows a :meth:`prefetch` of the same query and parameters read)."""
        [rows] = self.rows_of_all([(statement, params)])
        return rows

    def rows_of_all(self, queries: Sequence[Query]) -> list[list[Any]]:
        """The rows of each query, like :meth:`rows`, those not read ahead sent together
        in one round trip."""
        found: list[list[Any] | None] = [
            self._prefetched.pop(_key(statement, params), None) if self._prefetched else None
            for statement, params in queries
        ]
        replies = {
            n: self._queue(statement, params)
            for n, ((statement, params), rows) in enumerate(zip(queries, found, strict=True))
            if rows is None
        }
        if replies:
            self._sync()
        return [replies[n].rows if rows is None else rows for n, rows in enumerate(found)]

    def prefetch(
        self,
        queries: Sequence[tuple[Statement, Mapping[str, Any]]],
        then: Callable[[list[list[Any]]], None] | None = None,
    ) -> None:
        """Queue ``queries`` to go with the next query; each one's rows then answer the
        next identical :meth:`rows` call, unless a write comes first. ``then`` receives
        all their rows (to :meth:`remember` some under other queries)."""
        replies = [self._queue(statement, params) for statement, params in queries]
        writes = self._writes

        def arrived() -> None:
            if self._writes != writes:
                return
            results = [reply.rows for reply in replies]
            for (statement, params), rows in zip(queries, results, strict=True):
                self.remember(statement, params, rows)
            if then is not None:
                then(results)

        self._arrivals.append(arrived)

    def remember(self, statement: Statement, params: Mapping[str, Any], rows: list[Any]) -> None:
        """Answer the next :meth:`rows` call for ``statement`` and ``params`` with ``rows``
        (read by a prefetch that reached them another way)."""
        self._prefetched[_key(statement, params)] = rows

    def write(
        self, statement: Statement, params: Mapping[str, Any], expect: Expect | None = None
    ) -> None:
        """Run a write. Inside :meth:`batched` it is queued, and a write that does not do
        what ``expect`` says is refused by the server (which then runs nothing after it);
        outside, it runs at once and ``expect.check`` inspects it."""
        self._writes += 1
        self._prefetched.clear()
        if not self._batching:
            reply = self._queue(statement, params)
            self._sync()
            if expect is not None:
                expect.check(reply)
        elif expect is None:
            self._queue(statement, params)
        else:
            refusal = {**params, "refusal": expect.message}
            self._queue(checked(statement, expect.sqlstate), refusal)

    def enqueue(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """Send a statement whose answer nobody reads (a lock) with the next query."""
        self._queue(statement, params)

    def write_many(self, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row (queued like :meth:`write`)."""
        if not rows:
            return
        self._writes += 1
        self._prefetched.clear()
        for row in rows:
            self._queue(statement, row)
        if not self._batching:
            self._sync()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Queue the writes made inside and send them with the next query, the commit,
        or when the block ends; a refused write (``AlreadyExists``, ``StaleVersion``)
        raises then."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
        if not self._batching:
            self._sync()

    def _queue(self, statement: Statement, params: Mapping[str, Any]) -> Reply:
        if self._batch is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._batch.queue(statement, statement.args(params))

    def _sync(self) -> None:
        """Send what is queued, wait for every answer and hand the prefetched rows on."""
        arrivals, self._arrivals = self._arrivals, []
        if self._batch:  # (sending an empty batch does nothing)
            with span(REPOSITORY_BATCH, {"db.statements": len(self._batch)}), translated():
                self._batch.send()
        for arrived in arrivals:
            arrived()

    # -- the transaction --------------------------------------------------------------------

    def _begin(self) -> None:
        with translated():
            connection = self._engine.connect()
        self._connection = connection
        self._raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
        self._batch = start_transaction(connection, self.tenant_id)  # sent with the first query

    def _commit(self) -> None:
        with translated():
            if self.aborted:
                raise TransactionAborted(
                    "an earlier statement failed, so PostgreSQL rolled the transaction back; "
                    "nothing was committed"
                )
            self._end(COMMIT)
        if self._wakes_relays:
            waker(self._engine).wake()

    def _write_outbox(self, messages: list[OutboxMessage]) -> None:
        for statement, params in outbox_statements(messages):  # sent with the COMMIT
            self._queue(statement, params)
        self._wakes_relays = True

    def _write_changes(self, changes: list[Change]) -> None:
        entries = audit_entries(self.tenant_id, changes, self.actor, self.clock.now())
        for statement, params in audit_statements(entries):  # sent with the COMMIT
            self._queue(statement, params)

    @property
    def aborted(self) -> bool:
        """Whether PostgreSQL aborted the transaction (a statement failed)."""
        raw = self._raw
        return raw is not None and raw.info.transaction_status is pq.TransactionStatus.INERROR

    def _rollback(self) -> None:
        self._arrivals, self._prefetched = [], {}
        if self._batch is not None:
            self._batch.clear()  # nothing queued reaches the server
        if self._connection is not None:
            with translated():
                self._end(ROLLBACK)

    def _end(self, end: Statement) -> None:
        """Send what is queued and end the transaction with ``end``, in one round trip."""
        connection, raw = self._connection, self._raw
        if connection is None or raw is None or self._batch is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        status = raw.info.transaction_status
        if not raw.broken and (self._batch or status is not pq.TransactionStatus.IDLE):
            self._queue(end, {})
            self._sync()
        if connection.in_transaction():  # SQLAlchemy ran statements: tell it the end
            # (psycopg finds the connection idle, so it sends nothing and, unlike its own
            # ROLLBACK, keeps the statements prepared on the connection)
            (connection.commit if end is COMMIT else connection.rollback)()

    def _finish(self) -> None:
        self._wakes_relays = False
        connection, raw = self._connection, self._raw
        self._connection = self._raw = self._batch = None
        self._arrivals, self._prefetched, self._batching = [], {}, 0
        if connection is not None:
            with translated():
                if raw is not None and raw.broken:
                    connection.invalidate()  # not back into the pool
                connection.close()


def _key(statement: Statement, params: Mapping[str, Any]) -> Hashable:
    return statement, statement.args(params)
