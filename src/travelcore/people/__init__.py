"""People: corporates, users with roles, and children."""

from travelcore.people.model import (
    Child,
    ChildId,
    Corporate,
    CorporateId,
    User,
    UserRole,
    age_on,
)
from travelcore.people.ports import (
    ChildRepository,
    CorporateRepository,
    PeopleUnitOfWork,
    UserRepository,
)
from travelcore.people.service import (
    AddChild,
    PeopleService,
    RegisterCorporate,
    RegisterUser,
)

__all__ = [
    "AddChild",
    "Child",
    "ChildId",
    "ChildRepository",
    "Corporate",
    "CorporateId",
    "CorporateRepository",
    "PeopleService",
    "PeopleUnitOfWork",
    "RegisterCorporate",
    "RegisterUser",
    "User",
    "UserRepository",
    "UserRole",
    "age_on",
]
