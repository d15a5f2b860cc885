"""The PostgreSQL unit of work: one transaction on one pooled connection for one tenant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from psycopg import pq
from sqlalchemy import Connection, Engine, Executable, text
from sqlalchemy.engine import CursorResult

from travelcore.kernel import Conflict, EventBus, TenantId, UnitOfWorkBase
from travelcore_adapters.postgres.errors import translated
from travelcore_adapters.postgres.repositories.accounts import (
    PostgresAccounts,
    PostgresConversations,
    PostgresCredentials,
)
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
from travelcore_adapters.postgres.repositories.kernel import PostgresIdempotencyStore
from travelcore_adapters.postgres.repositories.ledger import (
    PostgresLedgerRepository,
    PostgresSubscriptionRepository,
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
from travelcore_adapters.postgres.repositories.travel import (
    PostgresItineraries,
    PostgresReminders,
    PostgresTenants,
    PostgresTravelPolicies,
    PostgresTravelPreferences,
    PostgresTrips,
)
from travelcore_adapters.postgres.repositories.vectors import PostgresVectorSyncRepository


class TransactionAborted(Conflict):
    """``commit()`` on a transaction that PostgreSQL had already aborted."""

    code = "transaction_aborted"


SET_TENANT = text("SELECT set_config('app.tenant_id', :tid, true)")
"""Transaction-local: the setting ends with the transaction, so a pooled connection never
carries one tenant's id into another tenant's transaction."""


class PostgresUnitOfWork(UnitOfWorkBase):
    """Implements travelcore's repository ports over PostgreSQL.

    The first statement of the transaction sets ``app.tenant_id``, which the row-level
    security policies of every tenant table compare with each row's ``tenant_id``;
    repositories also state ``tenant_id = :tid`` in every query.
    """

    def __init__(self, engine: Engine, tenant_id: TenantId, bus: EventBus | None = None):
        super().__init__(tenant_id, bus)
        self._engine = engine
        self._connection: Connection | None = None
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

    @property
    def connection(self) -> Connection:
        """The transaction's connection (raw SQL still sees only this tenant's rows)."""
        if self._connection is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._connection

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run ``statement`` in the transaction (once per mapping if given a sequence of
        them), translating driver errors."""
        with translated():
            return self.connection.execute(statement, params)

    def _begin(self) -> None:
        with translated():
            connection = self._engine.connect()
            try:
                connection.execute(SET_TENANT, {"tid": str(self.tenant_id)})
            except BaseException:
                connection.close()
                raise
        self._connection = connection

    def _commit(self) -> None:
        with translated():
            if self._aborted():
                raise TransactionAborted(
                    "an earlier statement failed, so PostgreSQL rolled the transaction back; "
                    "nothing was committed"
                )
            self.connection.commit()

    def _aborted(self) -> bool:
        raw = cast("psycopg.Connection[Any] | None", self.connection.connection.dbapi_connection)
        return raw is not None and raw.info.transaction_status is pq.TransactionStatus.INERROR

    def _rollback(self) -> None:
        if self._connection is not None:
            with translated():
                self._connection.rollback()

    def _finish(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with translated():
                connection.close()
