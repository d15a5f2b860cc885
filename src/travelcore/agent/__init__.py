"""The travel agent's language port: what a message asks for (``Intent``), understood
through ``LanguageUnderstanding``; ``RuleBasedUnderstanding`` is the offline default."""

from travelcore.agent.understanding import (
    CITIES,
    Intent,
    IntentKind,
    LanguageUnderstanding,
    RuleBasedUnderstanding,
    TripRequest,
)

__all__ = [
    "CITIES",
    "Intent",
    "IntentKind",
    "LanguageUnderstanding",
    "RuleBasedUnderstanding",
    "TripRequest",
]
