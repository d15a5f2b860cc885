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
from travelcore.accounts.service import (
    AccountsService,
    AddChild,
    RegisterCorporate,
    RegisterUser,
)

__all__ = [
    "AccountsService",
    "AccountsUnitOfWork",
    "AddChild",
    "Child",
    "ChildId",
    "ChildRepository",
    "Corporate",
    "CorporateId",
    "CorporateRepository",
    "RegisterCorporate",
    "RegisterUser",
    "User",
    "UserRepository",
    "UserRole",
    "age_on",
]
