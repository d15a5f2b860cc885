"""Services built by hand, as a user's own code does, on both adapters' databases.

Type-checked with ``mypy --strict`` by ``test_port_typing.py``: each adapter's unit of work
must fit every port it is handed to, so none of these lines needs a cast or an ignore.
"""

from __future__ import annotations

from travelcore.billing import BillingService
from travelcore.booking import BookingService, WaitlistService
from travelcore.catalog import CatalogService
from travelcore.discovery.feedback import FeedbackService
from travelcore.kernel import SystemClock
from travelcore.ledger import LedgerService
from travelcore.payments import PaymentService
from travelcore.people import PeopleService
from travelcore.settings import PlatformSettingsService
from travelcore.travel import TravelService
from travelcore.vectors import HashingEmbedder, VectorSync
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.memory.payment_gateway import MemoryPaymentGateway
from travelcore_adapters.memory.vectors import MemoryVectorStore
from travelcore_adapters.postgres import PostgresDatabase


def wire(database: MemoryDatabase | PostgresDatabase) -> list[object]:
    clock, embedder = SystemClock(), HashingEmbedder()
    store = MemoryVectorStore(embedder.dimension)
    return [
        CatalogService(database, clock),
        PeopleService(database, clock),
        LedgerService(database, clock),
        BookingService(database, clock),
        WaitlistService(database, clock),
        BillingService(database, clock),
        TravelService(database, clock),
        PaymentService(database, clock, gateway=MemoryPaymentGateway()),
        PlatformSettingsService(database, clock),
        VectorSync(database, clock, store=store, embedder=embedder),
        FeedbackService(database, clock, embedder=embedder, store=store),
    ]


services = wire(MemoryDatabase())
