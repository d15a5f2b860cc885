"""The memory unit of work: one transaction over a :class:`MemoryStore` for one tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from travelcore.audit import audit_entries
from travelcore.catalog import SessionId
from travelcore.kernel import (
    Change,
    Clock,
    EventBus,
    OutboxMessage,
    TenantId,
    UnitOfWorkBase,
    UserId,
)
from travelcore.people import ChildId
from travelcore_adapters.memory.accounts import (
    MemoryAccounts,
    MemoryConversations,
    MemoryCredentials,
)
from travelcore_adapters.memory.apikeys import MemoryApiKeys
from travelcore_adapters.memory.audit import MemoryAuditLog
from travelcore_adapters.memory.billing import MemoryInvoices, MemoryPayouts
from travelcore_adapters.memory.booking import MemoryBookingRepository, MemoryWaitlistRepository
from travelcore_adapters.memory.catalog import (
    MemoryActivityRepository,
    MemoryScheduleRepository,
    MemorySessionRepository,
    MemoryVenueRepository,
)
from travelcore_adapters.memory.consent import MemoryConsents
from travelcore_adapters.memory.discovery import (
    MemoryActivityRatings,
    MemoryChildPreferences,
    MemoryEntries,
    MemoryFavourites,
    MemoryFeedback,
    MemoryReviews,
    MemorySearchLogs,
    MemorySuggestions,
    MemoryUserLocations,
    MemoryVenueLocations,
    MemoryVenueScores,
)
from travelcore_adapters.memory.flags import MemoryFeatureFlags
from travelcore_adapters.memory.idempotency import MemoryIdempotencyStore
from travelcore_adapters.memory.invitations import MemoryInvitations
from travelcore_adapters.memory.ledger import MemoryLedgerRepository, MemorySubscriptionRepository
from travelcore_adapters.memory.notifications import (
    MemoryNotificationRepository,
    MemoryPreferenceRepository,
    MemoryTemplateRepository,
)
from travelcore_adapters.memory.outbox import MemoryInbox, MemoryOutbox, write_outbox
from travelcore_adapters.memory.payments import MemoryPayments, MemoryWebhookEvents
from travelcore_adapters.memory.people import (
    MemoryChildRepository,
    MemoryCorporateRepository,
    MemoryUserRepository,
)
from travelcore_adapters.memory.privacy import (
    MemoryChats,
    MemoryDataExports,
    MemoryErasure,
    MemoryPersonalData,
)
from travelcore_adapters.memory.settings import MemoryPlatformSettings
from travelcore_adapters.memory.store import MemoryStore, MemoryTransaction
from travelcore_adapters.memory.travel import (
    MemoryItineraries,
    MemoryReminders,
    MemoryTenants,
    MemoryTravelPolicies,
    MemoryTravelPreferences,
    MemoryTrips,
)
from travelcore_adapters.memory.vector_sync import MemoryVectorSyncRepository


class MemoryUnitOfWork(UnitOfWorkBase):
    """Implements every repository port of travelcore over an in-process store."""

    def __init__(
        self,
        store: MemoryStore,
        tenant_id: TenantId,
        bus: EventBus | None = None,
        *,
        clock: Clock | None = None,
    ):
        super().__init__(tenant_id, bus, clock=clock)
        self._store = store
        self._tx: MemoryTransaction | None = None
        self._locked = False
        self.idempotency = MemoryIdempotencyStore(self)
        self.tenants = MemoryTenants(self)
        self.travel_policies = MemoryTravelPolicies(self)
        self.travel_preferences = MemoryTravelPreferences(self)
        self.itineraries = MemoryItineraries(self)
        self.trips = MemoryTrips(self)
        self.reminders = MemoryReminders(self)
        self.payments = MemoryPayments(self)
        self.webhook_events = MemoryWebhookEvents(self)
        self.invoices = MemoryInvoices(self)
        self.payouts = MemoryPayouts(self)
        self.accounts = MemoryAccounts(self)
        self.conversations = MemoryConversations(self)
        self.credentials = MemoryCredentials(self)
        self.credits = MemoryLedgerRepository(self)
        self.subscriptions = MemorySubscriptionRepository(self)
        self.vector_sync = MemoryVectorSyncRepository(self)
        self.corporates = MemoryCorporateRepository(self)
        self.users = MemoryUserRepository(self)
        self.children = MemoryChildRepository(self)
        self.venues = MemoryVenueRepository(self)
        self.activities = MemoryActivityRepository(self)
        self.sessions = MemorySessionRepository(self)
        self.schedules = MemoryScheduleRepository(self)
        self.bookings = MemoryBookingRepository(self)
        self.waitlist = MemoryWaitlistRepository(self)
        self.feature_flags = MemoryFeatureFlags(self)
        self.api_keys = MemoryApiKeys(self)
        self.platform_settings = MemoryPlatformSettings(self)
        self.audit_log = MemoryAuditLog(self)
        self.invitations = MemoryInvitations(self)
        self.search_logs = MemorySearchLogs(self)
        self.user_locations = MemoryUserLocations(self)
        self.venue_locations = MemoryVenueLocations(self)
        self.reviews = MemoryReviews(self)
        self.feedback = MemoryFeedback(self)
        self.activity_ratings = MemoryActivityRatings(self)
        self.child_preferences = MemoryChildPreferences(self)
        self.favourites = MemoryFavourites(self)
        self.memory_entries = MemoryEntries(self)
        self.venue_scores = MemoryVenueScores(self)
        self.suggestions = MemorySuggestions(self)
        self.inbox = MemoryInbox(self)
        self.notifications = MemoryNotificationRepository(self)
        self.notification_preferences = MemoryPreferenceRepository(self)
        self.notification_templates = MemoryTemplateRepository(self)
        self.consents = MemoryConsents(self)
        self.data_exports = MemoryDataExports(self)
        self.personal_data = MemoryPersonalData(self)
        self.erasure = MemoryErasure(self)
        self.chats = MemoryChats(self)

    @property
    def tx(self) -> MemoryTransaction:
        if self._tx is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._tx

    def prefetch_booking(
        self,
        session_id: SessionId,
        child_ids: Sequence[ChildId],
        parent_id: UserId,
        day: date,
        codes: Sequence[str],
    ) -> None:
        """Every read is already in memory: nothing to fetch ahead."""

    def _begin(self) -> None:
        self._store.lock.acquire()
        self._locked = True
        self._tx = MemoryTransaction(self._store)

    def _commit(self) -> None:
        self.tx.apply()

    def _write_outbox(self, messages: list[OutboxMessage]) -> None:
        write_outbox(self.tx, messages)

    def _write_changes(self, changes: list[Change]) -> None:
        entries = audit_entries(self.tenant_id, changes, self.actor, self.clock.now())
        self.audit_log.add_many(entries)

    def _rollback(self) -> None:
        self._tx = None

    def _finish(self) -> None:
        self._tx = None
        if self._locked:
            self._locked = False
            self._store.lock.release()


class MemoryDatabase:
    """A whole in-memory back end: call it with a tenant id to get a unit of work
    (``clock`` dates the audit entries; the system clock if not given)."""

    def __init__(self, bus: EventBus | None = None, *, clock: Clock | None = None) -> None:
        self.store = MemoryStore()
        self.bus = bus
        self.clock = clock
        self.outbox = MemoryOutbox(self.store)

    def __call__(self, tenant_id: TenantId) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, tenant_id, self.bus, clock=self.clock)
