"""Feature flags through OpenFeature (the ``flags`` extra)."""

from travelcore_adapters.flags.provider import TravelcoreFlagProvider

__all__ = ["TravelcoreFlagProvider"]
