"""Feature flags (seed 003 ``feature_flags``): a global switch, a stable percentage rollout
per user, targeting by role, corporate and user, environments, a time window and weighted
variants.

Evaluation is pure: :func:`evaluate` reads only the flag and the :class:`FlagContext`. A
user's rollout bucket is a hash of the flag key and the user id (never Python's per-process
``hash``), so the same user gets the same answer for the same flag in every process.

The rules, in order: a switched-off flag, an environment not listed or an instant outside
``[starts_at, ends_at)`` is off; a targeted user is on; a role not among ``target_roles``
(when set) is off; a targeted corporate is on; otherwise the user is on when their bucket
falls within ``rollout_percentage``. A flag that is on picks one of its weighted variants
with a second, independent hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from travelcore.kernel import TenantId, ValidationFailed
from travelcore.kernel.validation import (
    boolean,
    entries,
    instant,
    integer,
    items,
    optional,
    text,
    uuid,
)

ENVIRONMENTS = ("production", "staging", "development")
BUCKETS = 10_000
"""Rollout buckets: a percentage enables ``percentage * 100`` of them."""
MAX_TARGETS = 1_000
MAX_VARIANTS = 20

_key = text(100)
_CHECKS = {
    "tenant_id": uuid,
    "key": _key,
    "name": text(255),
    "description": text(2_000, min_length=0),
    "category": optional(text(50)),
    "enabled": boolean,
    "rollout_percentage": integer(0, 100),
    "target_roles": optional(items(text(32), max_items=MAX_VARIANTS)),
    "target_corporate_ids": items(uuid, max_items=MAX_TARGETS),
    "target_user_ids": items(uuid, max_items=MAX_TARGETS),
    "environments": items(text(32), max_items=MAX_VARIANTS, min_items=1),
    "variants": optional(entries(text(50), integer(1, 10_000), max_items=MAX_VARIANTS)),
    "starts_at": optional(instant),
    "ends_at": optional(instant),
}


class FlagReason(StrEnum):
    """Why an evaluation came out as it did."""

    DISABLED = "disabled"
    ENVIRONMENT = "environment"
    OUTSIDE_WINDOW = "outside_window"
    TARGETED_USER = "targeted_user"
    ROLE_NOT_TARGETED = "role_not_targeted"
    TARGETED_CORPORATE = "targeted_corporate"
    IN_ROLLOUT = "in_rollout"
    OUT_OF_ROLLOUT = "out_of_rollout"


@attrs.define(kw_only=True)
class FeatureFlag:
    """One flag of one platform (tenant), keyed by ``key``; checked when made."""

    tenant_id: TenantId
    key: str
    name: str
    description: str = ""
    category: str | None = None
    enabled: bool = False
    rollout_percentage: int = 0
    target_roles: frozenset[str] | None = None
    """``None``: every role."""
    target_corporate_ids: frozenset[UUID] = frozenset()
    target_user_ids: frozenset[UUID] = frozenset()
    environments: frozenset[str] = frozenset(ENVIRONMENTS)
    variants: Mapping[str, int] | None = None
    """Variant name -> weight (``{"control": 50, "variant_a": 50}``), in declared order."""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    version: int = 1

    def __attrs_post_init__(self) -> None:
        for name, check in _CHECKS.items():
            value: Any = getattr(self, name)
            if isinstance(value, set | frozenset):
                check(list(value), name)
                setattr(self, name, frozenset(value))
            else:
                check(value, name)
                if isinstance(value, list | tuple):
                    setattr(self, name, frozenset(value))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationFailed("ends_at", "after_starts_at")
        if self.variants is not None:
            self.variants = dict(self.variants)


@attrs.frozen(kw_only=True)
class FlagContext:
    """Who asks, where and when."""

    environment: str
    now: datetime
    user_id: UUID | None = None
    role: str | None = None
    corporate_id: UUID | None = None


@attrs.frozen
class Evaluation:
    """The answer for one flag and one context."""

    enabled: bool
    reason: FlagReason
    variant: str | None = None


def bucket(flag_key: str, user_id: UUID | None, salt: str = "rollout") -> int:
    """The user's stable bucket in ``range(BUCKETS)`` for ``flag_key``."""
    who = "" if user_id is None else user_id.hex
    digest = hashlib.blake2b(f"{salt}:{flag_key}:{who}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def evaluate(flag: FeatureFlag, context: FlagContext) -> Evaluation:
    """The answer of ``flag`` for ``context`` (see the module's rules)."""
    if not flag.enabled:
        return Evaluation(False, FlagReason.DISABLED)
    if context.environment not in flag.environments:
        return Evaluation(False, FlagReason.ENVIRONMENT)
    if (flag.starts_at is not None and context.now < flag.starts_at) or (
        flag.ends_at is not None and context.now >= flag.ends_at
    ):
        return Evaluation(False, FlagReason.OUTSIDE_WINDOW)
    if context.user_id is not None and context.user_id in flag.target_user_ids:
        return _on(flag, context, FlagReason.TARGETED_USER)
    if flag.target_roles is not None and context.role not in flag.target_roles:
        return Evaluation(False, FlagReason.ROLE_NOT_TARGETED)
    if context.corporate_id is not None and context.corporate_id in flag.target_corporate_ids:
        return _on(flag, context, FlagReason.TARGETED_CORPORATE)
    if bucket(flag.key, context.user_id) < flag.rollout_percentage * (BUCKETS // 100):
        return _on(flag, context, FlagReason.IN_ROLLOUT)
    return Evaluation(False, FlagReason.OUT_OF_ROLLOUT)


def _on(flag: FeatureFlag, context: FlagContext, reason: FlagReason) -> Evaluation:
    if not flag.variants:
        return Evaluation(True, reason)
    point = bucket(flag.key, context.user_id, "variant") * sum(flag.variants.values()) // BUCKETS
    for name, weight in flag.variants.items():
        if point < weight:
            return Evaluation(True, reason, name)
        point -= weight
    raise AssertionError("unreachable: the point lies below the total weight")
