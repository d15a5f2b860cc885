"""A child's erasure, 30 days (``child_deletion_delay``) after the parent asked for it.

The child's preference vector leaves every vector store first; then one transaction finds
the parent's long-term memory entries (the travel agent's memory) that mention the child,
deletes their vectors from every store and runs :data:`ERASURE_STEPS` in order: the
profile, feedback, suggestions, favourites, consents, search logs, those memory entries and
notifications about the child go, and so do the parent's produced exports; what the parent
wrote (review texts, feedback comments, chat messages) loses every mention of the child
(name, id or date of birth, in any case: :func:`mentions`); bookings and waitlist entries are
de-identified: they point to a placeholder child with a new id and no name or birth date,
so the ledger (which names bookings, never children) keeps every entry and every sum; the
child's id in stored events becomes the placeholder's, and stored idempotent results naming
the child are forgotten (their retry window is long over), and so are the audit log's
entries of the child (the others name the placeholder instead). Before it commits, the
preference vector leaves the stores once more: the transaction has deleted (so holds) the
preference row, and the feedback job copies a preference to a store only while it holds
the row, so a copy written after the first deletion is deleted now, and a later one finds
no preference to copy. A crash
anywhere leaves the transaction undone and the vectors already gone; the next sweep runs it
again (each step is idempotent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

import attrs

from travelcore.export.model import ExportStatus
from travelcore.kernel import TenantId, new_uuid
from travelcore.people.model import Child, ChildId
from travelcore.retention.ports import RetentionUnitOfWork
from travelcore.vectors.ports import VectorStore
from travelcore.vectors.records import MAX_FETCH_IDS, namespace_for

ERASED_NAME = "erased"
ERASED_BIRTH_DATE = date(1900, 1, 1)
REDACTED = "[erased]"


@attrs.frozen
class Subject:
    """The child being erased, the placeholder its bookings will name and the parent's
    memory entries that mention the child (their vectors are already gone)."""

    child: Child
    alias_id: ChildId
    memories: tuple[UUID, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """What identifies the child in free text: id, name and date of birth."""
        return (str(self.child.id), self.child.first_name, self.child.date_of_birth.isoformat())

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` mentions the child (:func:`mentions` of :attr:`terms`)."""
        return mentions(self.terms).search(text) is not None


def mentions(terms: Sequence[str]) -> re.Pattern[str]:
    """Any of ``terms`` in any case, where a term that begins or ends with a letter must
    begin or end a word there (the name ``Al`` is not in "Also"; a birth date is found in
    "2017-02-13T09:00" too): the rule every adapter applies."""
    return re.compile(mention_pattern(terms), re.IGNORECASE)


def mention_pattern(
    terms: Sequence[str],
    *,
    boundaries: tuple[str, str] = (r"\b", r"\b"),
    escape: Callable[[str], str] = re.escape,
) -> str:
    """The alternation :func:`mentions` compiles, in another regex dialect: ``boundaries``
    (where a word starts, where it ends) and ``escape`` are that dialect's."""
    start, end = boundaries
    return "|".join(
        (start if t[:1].isalpha() else "") + escape(t) + (end if t[-1:].isalpha() else "")
        for t in terms
    )


ErasureStep = Callable[[RetentionUnitOfWork, Subject], int]


def _rows(table: str) -> ErasureStep:
    return lambda uow, s: uow.erasure.delete_child_rows(table, s.child.id)


def _deidentify(uow: RetentionUnitOfWork, subject: Subject) -> int:
    child = subject.child
    uow.erasure.add_alias(
        Child(
            id=subject.alias_id,
            tenant_id=child.tenant_id,
            parent_id=child.parent_id,
            first_name=ERASED_NAME,
            date_of_birth=ERASED_BIRTH_DATE,
            is_active=False,
        )
    )
    return uow.erasure.repoint(child.id, subject.alias_id)


def _exports(uow: RetentionUnitOfWork, subject: Subject) -> int:
    """The parent's produced exports hold the child's data: they expire now (each checked
    again once locked, ``get``: a concurrent sweep may have expired it)."""
    produced = {ExportStatus.READY, ExportStatus.DOWNLOADED}
    expired = 0
    for listed in uow.data_exports.for_user(subject.child.parent_id):
        export = uow.data_exports.get(listed.id) if listed.status in produced else listed
        if export.status in produced:
            export.expire()
            uow.data_exports.save(export)
            expired += 1
    return expired


ERASURE_STEPS: tuple[tuple[str, ErasureStep], ...] = (
    ("feedback", _rows("booking_feedback")),
    ("suggestions", _rows("ai_suggestions")),
    ("favourites", _rows("child_favorites")),
    ("preference", _rows("child_preferences")),
    ("vector_state", _rows("vector_sync")),
    ("consents", _rows("parental_consent_records")),
    ("search_logs", lambda uow, s: uow.erasure.delete_search_logs(s.child.parent_id)),
    ("memory", lambda uow, s: uow.erasure.delete_memory_entries(s.memories)),
    (
        "notifications",
        lambda uow, s: uow.erasure.delete_notifications_mentioning(s.child.parent_id, s.terms),
    ),
    (
        "free_text",
        lambda uow, s: uow.erasure.redact(s.child.parent_id, s.terms, REDACTED),
    ),
    ("exports", _exports),
    ("bookings", _deidentify),
    ("events", lambda uow, s: uow.erasure.replace_in_events(str(s.child.id), str(s.alias_id))),
    ("stored_results", lambda uow, s: uow.erasure.forget_results(str(s.child.id))),
    ("profile", lambda uow, s: int(uow.erasure.delete_child(s.child.id))),
    ("audit_log", lambda uow, s: uow.audit_log.forget(s.child.id, s.alias_id)),
)
"""The erasure of one child, in order; another context adds its step here."""


def erase_child(
    uow_factory: Callable[[TenantId], RetentionUnitOfWork],
    tenant_id: TenantId,
    child: Child,
    *,
    stores: Sequence[VectorStore],
    steps: Sequence[tuple[str, ErasureStep]] = ERASURE_STEPS,
) -> dict[str, int]:
    """Erase ``child``; what each step removed or changed (nothing if it is gone)."""
    preference = namespace_for(tenant_id, "child_preferences")
    _forget_vectors(stores, preference, [str(child.id)])
    with uow_factory(tenant_id) as uow:
        claimed = uow.erasure.claim(child.id)
        if claimed is None:
            return {}  # another run erased it meanwhile
        subject = Subject(claimed, ChildId(new_uuid()))
        memories = uow.memory_entries.for_user(claimed.parent_id)
        subject = attrs.evolve(
            subject, memories=tuple(m.id for m in memories if subject.mentioned_in(m.text))
        )
        memory = namespace_for(tenant_id, "user_memory")
        _forget_vectors(stores, memory, [str(m) for m in subject.memories])
        done = {name: step(uow, subject) for name, step in steps}
        _forget_vectors(stores, preference, [str(child.id)])  # copied meanwhile
        uow.commit()
    return done


def _forget_vectors(stores: Sequence[VectorStore], namespace: str, ids: Sequence[str]) -> None:
    for store in stores:
        for start in range(0, len(ids), MAX_FETCH_IDS):
            store.delete(namespace, ids=ids[start : start + MAX_FETCH_IDS])
