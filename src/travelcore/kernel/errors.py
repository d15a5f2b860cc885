"""One error hierarchy for travelcore, each class with a stable machine-readable ``code``.

Adapters translate every driver error into one of these, so callers never catch
SQLAlchemy, psycopg, pinecone or HTTP exceptions.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TravelcoreError(Exception):
    """Base of every error travelcore raises on purpose."""

    code: ClassVar[str] = "travelcore_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description for APIs and logs."""
        return {"code": self.code, "message": self.message, **self.details}


class ValidationFailed(TravelcoreError):
    """Bad input: names the offending ``field`` and the ``rule`` it broke."""

    code = "validation_failed"

    def __init__(self, field: str, rule: str, message: str | None = None) -> None:
        super().__init__(message or f"{field}: {rule}", field=field, rule=rule)
        self.field = field
        self.rule = rule


class InvalidFilter(ValidationFailed):
    """A vector-store metadata filter breaks the filter language's rules."""

    code = "invalid_filter"


class NotFound(TravelcoreError):
    code = "not_found"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found", entity=entity, key=str(key))
        self.entity = entity
        self.key = key


class Conflict(TravelcoreError):
    """The request clashes with the current state."""

    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class StaleVersion(Conflict):
    """Optimistic concurrency: the entity changed since it was read."""

    code = "stale_version"


class IdempotencyConflict(Conflict):
    """The idempotency key was already used for a different request."""

    code = "idempotency_conflict"


class TransientConflict(Conflict):
    """A concurrent transaction won a race (serialization failure, deadlock); the whole
    operation may be retried and will then usually succeed."""

    code = "transient_conflict"


class InvalidTransition(TravelcoreError):
    code = "invalid_transition"

    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(
            f"{entity} cannot go from {current} to {target}",
            entity=entity,
            current=current,
            target=target,
        )
        self.current = current
        self.target = target


class RuleViolation(TravelcoreError):
    """A business rule refuses the request (the input itself is well-formed)."""

    code = "rule_violated"


class InsufficientCredits(RuleViolation):
    code = "insufficient_credits"


class CapacityExceeded(RuleViolation):
    code = "capacity_exceeded"


class PolicyViolation(RuleViolation):
    code = "policy_violation"


class AccessDenied(TravelcoreError):
    """The actor may not do this: ``rule`` names the rule of DOMAIN.md section 10 (or the
    missing scope) that refused it."""

    code = "access_denied"

    def __init__(self, message: str, *, rule: str = "forbidden", **details: Any) -> None:
        super().__init__(message, rule=rule, **details)
        self.rule = rule


class Unavailable(TravelcoreError):
    """A backing service cannot be reached; the operation may be retried."""

    code = "unavailable"


class VectorStoreUnavailable(Unavailable):
    code = "vector_store_unavailable"


class PaymentGatewayUnavailable(Unavailable):
    code = "payment_gateway_unavailable"


class PaymentDeclined(RuleViolation):
    code = "payment_declined"


class RefundExceedsCaptured(RuleViolation):
    """A refund would return more money than was captured and not yet refunded."""

    code = "refund_exceeds_captured"


class SecretUnreadable(AccessDenied):
    """A sealed secret cannot be opened: wrong key, wrong row or tampered ciphertext."""

    code = "secret_unreadable"
