"""Feature flags: rules, a pure evaluator and the repository port."""

from travelcore.flags.flagset import FlagSet
from travelcore.flags.model import (
    BUCKETS,
    ENVIRONMENTS,
    Evaluation,
    FeatureFlag,
    FlagContext,
    FlagReason,
    bucket,
    evaluate,
)
from travelcore.flags.ports import FeatureFlagRepository

__all__ = [
    "BUCKETS",
    "ENVIRONMENTS",
    "Evaluation",
    "FeatureFlag",
    "FeatureFlagRepository",
    "FlagContext",
    "FlagReason",
    "FlagSet",
    "bucket",
    "evaluate",
]
