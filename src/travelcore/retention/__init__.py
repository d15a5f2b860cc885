"""Retention and erasure: one purge job over a table of rules, and a child's erasure."""

from travelcore.retention.erasure import (
    ERASED_BIRTH_DATE,
    ERASED_NAME,
    ERASURE_STEPS,
    ErasureStep,
    Subject,
    erase_child,
    mention_pattern,
    mentions,
)
from travelcore.retention.job import ChildDeletion, RetentionJob
from travelcore.retention.ports import ChatStore, ErasureStore, RetentionUnitOfWork
from travelcore.retention.rules import RETENTION_RULES, RetentionRule, Sweep, in_unit_of_work

__all__ = [
    "ERASED_BIRTH_DATE",
    "ERASED_NAME",
    "ERASURE_STEPS",
    "RETENTION_RULES",
    "ChatStore",
    "ChildDeletion",
    "ErasureStep",
    "ErasureStore",
    "RetentionJob",
    "RetentionRule",
    "RetentionUnitOfWork",
    "Subject",
    "Sweep",
    "erase_child",
    "in_unit_of_work",
    "mention_pattern",
    "mentions",
]
