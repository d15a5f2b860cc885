"""People: corporates, users with roles, and children."""

from travelcore.accounts.model import (
    Child,
    ChildId,
    Corporate,
    CorporateId,
    User,
    UserRole,
    age_on,
)
from travelcore.accounts.ports import (
    AccountsUnitOfWork,
    ChildRepository,
    CorporateRepository,
    UserRepository,
)

__all__ = [
    "AccountsUnitOfWork",
    "Child",
    "ChildId",
    "ChildRepository",
    "Corporate",
    "CorporateId",
    "CorporateRepository",
    "User",
    "UserRepository",
    "UserRole",
    "age_on",
]
