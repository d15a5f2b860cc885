"""Contract suites for travelcore's ports, shipped so that third-party adapters reuse them.

Each suite is a pytest base class whose tests talk only to the port; subclass it and provide
the fixture it names (for example ``uow_factory``) to run it against your adapter.
"""

from travelcore.testing.accounts import (
    ChildRepositoryContract,
    CorporateRepositoryContract,
    UserRepositoryContract,
)
from travelcore.testing.booking import BookingRepositoryContract, WaitlistRepositoryContract
from travelcore.testing.catalog import (
    ActivityRepositoryContract,
    ScheduleRepositoryContract,
    SessionRepositoryContract,
    VenueRepositoryContract,
)
from travelcore.testing.ledger import LedgerRepositoryContract, SubscriptionRepositoryContract
from travelcore.testing.repositories import RepositoryContract
from travelcore.testing.uow import UnitOfWorkContract

__all__ = [
    "ActivityRepositoryContract",
    "BookingRepositoryContract",
    "ChildRepositoryContract",
    "CorporateRepositoryContract",
    "LedgerRepositoryContract",
    "RepositoryContract",
    "ScheduleRepositoryContract",
    "SessionRepositoryContract",
    "SubscriptionRepositoryContract",
    "UnitOfWorkContract",
    "UserRepositoryContract",
    "VenueRepositoryContract",
    "WaitlistRepositoryContract",
]
