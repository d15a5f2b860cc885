"""Contract suites for travelcore's ports, shipped so that third-party adapters reuse them.

Each suite is a pytest base class whose tests talk only to the port; subclass it and provide
the fixture it names (for example ``uow_factory``) to run it against your adapter.
"""

from travelcore.testing.ledger import LedgerRepositoryContract, SubscriptionRepositoryContract
from travelcore.testing.ledger_machine import LedgerMachine, ledger_machine
from travelcore.testing.uow import UnitOfWorkContract

__all__ = [
    "LedgerMachine",
    "LedgerRepositoryContract",
    "SubscriptionRepositoryContract",
    "UnitOfWorkContract",
    "ledger_machine",
]
