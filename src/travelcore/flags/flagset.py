"""A snapshot of one platform's flags, evaluated without any I/O."""

from __future__ import annotations

from collections.abc import Iterable

from travelcore.flags.model import Evaluation, FeatureFlag, FlagContext, evaluate
from travelcore.flags.ports import FeatureFlagRepository
from travelcore.kernel import NotFound


class FlagSet:
    """The flags of one platform, by key (load one with :meth:`load`)."""

    def __init__(self, flags: Iterable[FeatureFlag]) -> None:
        self._flags = {flag.key: flag for flag in flags}

    @classmethod
    def load(cls, repository: FeatureFlagRepository) -> FlagSet:
        return cls(repository.all())

    def __contains__(self, key: object) -> bool:
        return key in self._flags

    def get(self, key: str) -> FeatureFlag:
        try:
            return self._flags[key]
        except KeyError:
            raise NotFound("feature_flag", key) from None

    def evaluate(self, key: str, context: FlagContext) -> Evaluation:
        """``NotFound`` for an unknown key."""
        return evaluate(self.get(key), context)

    def is_enabled(self, key: str, context: FlagContext) -> bool:
        """Whether ``key`` is on for ``context``; an unknown key is off."""
        flag = self._flags.get(key)
        return flag is not None and evaluate(flag, context).enabled
