"""Parental consent: versioned texts per kind, grants and withdrawals as records."""

from travelcore.consent.model import (
    ConsentKind,
    ConsentMethod,
    ConsentRecord,
    ConsentText,
    current,
    is_given,
)
from travelcore.consent.ports import ConsentRepository, ConsentUnitOfWork, PreferenceRemover
from travelcore.consent.service import (
    ConsentNotGiven,
    ConsentService,
    GrantConsent,
    WithdrawConsent,
    allows_ai_personalisation,
)

__all__ = [
    "ConsentKind",
    "ConsentMethod",
    "ConsentNotGiven",
    "ConsentRecord",
    "ConsentRepository",
    "ConsentService",
    "ConsentText",
    "ConsentUnitOfWork",
    "GrantConsent",
    "PreferenceRemover",
    "WithdrawConsent",
    "allows_ai_personalisation",
    "current",
    "is_given",
]
