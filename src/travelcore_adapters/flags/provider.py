"""An OpenFeature provider over travelcore's flags, so teams evaluate them through the
standard OpenFeature client.

The evaluation context's ``targeting_key`` is the user id (a UUID); the attributes
``role`` and ``corporate_id`` feed the targeting rules. A boolean flag answers whether the
flag is on; a string flag answers the chosen variant (the default when the flag is off or
has no variants).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import FlagNotFoundError, InvalidContextError, TypeMismatchError
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, Metadata

from travelcore.flags import Evaluation, FlagContext, FlagReason, FlagSet
from travelcore.kernel import Clock

_REASONS = {
    FlagReason.DISABLED: Reason.DISABLED,
    FlagReason.ENVIRONMENT: Reason.DISABLED,
    FlagReason.OUTSIDE_WINDOW: Reason.DISABLED,
    FlagReason.TARGETED_USER: Reason.TARGETING_MATCH,
    FlagReason.TARGETED_CORPORATE: Reason.TARGETING_MATCH,
    FlagReason.ROLE_NOT_TARGETED: Reason.DEFAULT,
    FlagReason.IN_ROLLOUT: Reason.SPLIT,
    FlagReason.OUT_OF_ROLLOUT: Reason.SPLIT,
}


class TravelcoreFlagProvider(AbstractProvider):
    """Answers from ``flags()`` (a :class:`FlagSet`, reloaded as the caller sees fit) in
    ``environment`` at ``clock.now()``."""

    def __init__(self, flags: Callable[[], FlagSet], *, environment: str, clock: Clock) -> None:
        super().__init__()
        self._flags = flags
        self._environment = environment
        self._clock = clock

    def get_metadata(self) -> Metadata:
        return Metadata(name="travelcore")

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        result = self._evaluate(flag_key, evaluation_context)
        return FlagResolutionDetails(
            value=result.enabled,
            reason=_REASONS[result.reason],
            variant=result.variant,
            flag_metadata={"travelcore_reason": result.reason.value},
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        result = self._evaluate(flag_key, evaluation_context)
        if result.variant is None:
            return FlagResolutionDetails(
                value=default_value,
                reason=Reason.DEFAULT,
                flag_metadata={"travelcore_reason": result.reason.value},
            )
        return FlagResolutionDetails(
            value=result.variant,
            reason=_REASONS[result.reason],
            variant=result.variant,
            flag_metadata={"travelcore_reason": result.reason.value},
        )

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        raise TypeMismatchError(f"{flag_key} is a boolean flag with string variants")

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        raise TypeMismatchError(f"{flag_key} is a boolean flag with string variants")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[Any] | Mapping[str, Any],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[Any] | Mapping[str, Any]]:
        raise TypeMismatchError(f"{flag_key} is a boolean flag with string variants")

    def _evaluate(self, key: str, context: EvaluationContext | None) -> Evaluation:
        flags = self._flags()
        if key not in flags:
            raise FlagNotFoundError(f"no flag {key!r}")
        return flags.evaluate(key, self._context(context or EvaluationContext()))

    def _context(self, context: EvaluationContext) -> FlagContext:
        role = context.attributes.get("role")
        return FlagContext(
            environment=self._environment,
            now=self._clock.now(),
            user_id=_uuid(context.targeting_key, "targeting_key"),
            role=role if isinstance(role, str) else None,
            corporate_id=_uuid(context.attributes.get("corporate_id"), "corporate_id"),
        )


def _uuid(value: object, name: str) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidContextError(f"{name} must be a UUID") from None
