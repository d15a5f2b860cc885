"""What every repository shares, on every adapter: the scope it works in and the one
version rule.

**The version rule.** An entity's ``version`` is the version of the stored row it was read
from, or :data:`FIRST_VERSION` (1) for a new one, which ``add`` stores. ``save(entity)``
writes only if the stored version still equals ``entity.version``, stores
``entity.version + 1`` and sets ``entity.version`` to it. A model never changes its own
``version``; only a repository's ``save`` does (:func:`saved`). A stored version that moved
on is :class:`StaleVersion`, a missing row is :class:`NotFound` (:func:`check_version`).

**Locking reads.** ``get_for_update(key)`` is ``get`` for a caller about to change the
entity: no other unit of work changes it until this one ends, so concurrent commands on one
entity run one after another and each checks what the one before left (the losers of a
race get the domain's answer, never ``StaleVersion``). A lookup that finds nothing keeps
the key reserved the same way, so concurrent create-or-update calls queue too. Commands
read what they change with it; a plain ``get`` locks nothing (repositories whose rows are
only read to change them may lock on ``get`` as well).

**The tenant rule.** A write of an entity whose ``tenant_id`` is not the unit of work's is
refused with ``ValidationFailed("tenant_id", "matches_unit_of_work")`` before anything is
written (:func:`check_tenant`); a read never sees another tenant's rows (``NotFound``).

**Events.** Repositories report every entity they hand out or take in to
:meth:`RepositoryScope.seen`; the unit of work collects the events of those that are
aggregates when it commits, so use cases never register them by hand.

**Changes.** Repositories report every entity they write to :meth:`RepositoryScope.changed`
(its stored state before and what they wrote); the unit of work audits them on commit.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from travelcore.kernel.errors import NotFound, StaleVersion, ValidationFailed
from travelcore.kernel.ids import TenantId

FIRST_VERSION = 1
"""The version of a new entity, stored by ``add``: a row's version counts its writes. (A
repository whose ``save`` also adds the row takes version 0 for an entity not stored
yet, and stores it at this version.)"""


class Versioned(Protocol):
    """An entity under the version rule."""

    version: int


class RepositoryScope(Protocol):
    """The part of a unit of work every repository uses, whatever the adapter: the tenant
    and the record of what was loaded and added. Adapters extend it with their reads and
    writes."""

    @property
    def tenant_id(self) -> TenantId: ...

    def seen(self, *entities: object) -> None:
        """Entities read or added in this unit of work (the aggregates' events are
        collected on commit)."""
        ...

    def changed(
        self, entity_type: str, key: Hashable, before: object | None, after: object | None
    ) -> None:
        """An entity written in this unit of work (audited on commit)."""
        ...


def check_tenant(scope: RepositoryScope, tenant_id: object) -> None:
    """Refuse a write of another tenant's entity."""
    if tenant_id != scope.tenant_id:
        raise ValidationFailed(
            "tenant_id", "matches_unit_of_work", "the entity belongs to another tenant"
        )


def check_version(entity: str, key: object, *, stored: int | None, loaded: int) -> None:
    """``NotFound`` if there is no stored row (``stored`` is ``None``); ``StaleVersion``
    unless the stored version is the one the entity was loaded at."""
    if stored is None:
        raise NotFound(entity, key)
    if stored != loaded:
        raise StaleVersion(
            f"{entity} {key} changed since it was read",
            entity=entity,
            expected=loaded,
            stored=stored,
        )


def saved(entity: Versioned) -> None:
    """Record on ``entity`` the version its save stored (one above the version it was
    loaded at)."""
    entity.version += 1
