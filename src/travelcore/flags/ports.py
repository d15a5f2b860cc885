"""The feature-flag repository port: one platform's flags, keyed by flag key."""

from __future__ import annotations

from typing import Protocol

from travelcore.flags.model import FeatureFlag


class FeatureFlagRepository(Protocol):
    def add(self, flag: FeatureFlag) -> None: ...

    def get(self, key: str) -> FeatureFlag:
        """``NotFound`` unless the tenant has a flag ``key``."""
        ...

    def save(self, flag: FeatureFlag) -> None: ...

    def all(self) -> list[FeatureFlag]:
        """Every flag of the tenant, by key."""
        ...
