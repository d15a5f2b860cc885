"""Contract suites for travelcore's ports, shipped so that third-party adapters reuse them.

Each suite is a pytest base class whose tests talk only to the port; subclass it and provide
the fixture it names (for example ``uow_factory``) to run it against your adapter.
"""

from travelcore.testing.accounts import (
    AccountRepositoriesContract,
    PasswordHasherContract,
    SecretBoxContract,
)
from travelcore.testing.ledger import LedgerRepositoryContract, SubscriptionRepositoryContract
from travelcore.testing.ledger_machine import LedgerMachine, ledger_machine
from travelcore.testing.payments import PaymentGatewayContract, PaymentRepositoriesContract
from travelcore.testing.travel import TravelRepositoriesContract
from travelcore.testing.uow import UnitOfWorkContract
from travelcore.testing.vector_sync import VectorSyncRepositoryContract
from travelcore.testing.vectors import TextSearchContract, VectorStoreContract

__all__ = [
    "AccountRepositoriesContract",
    "LedgerMachine",
    "LedgerRepositoryContract",
    "PasswordHasherContract",
    "PaymentGatewayContract",
    "PaymentRepositoriesContract",
    "SecretBoxContract",
    "SubscriptionRepositoryContract",
    "TextSearchContract",
    "TravelRepositoriesContract",
    "UnitOfWorkContract",
    "VectorStoreContract",
    "VectorSyncRepositoryContract",
    "ledger_machine",
]
