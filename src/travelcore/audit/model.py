"""Audit entries: who changed which entity, how, and when, with secrets redacted.

The unit of work turns the changes of a commit into entries (:func:`audit_entries`) and
stores them in the same transaction. ``before`` and ``after`` hold the fields that changed
(every field for an added or removed entity) as JSON-ready data from the one serialization
path; for a list field, the items that left and the items that came. Values of fields whose
names mark secrets are replaced by :data:`REDACTED`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, cast
from uuid import UUID

import attrs
from cattrs.gen import make_dict_unstructure_fn, override

from travelcore.kernel import Actor, Change, Role, TenantId, UserId, converter, new_uuid, to_data
from travelcore.kernel import validation as v
from travelcore.kernel.request import REQUEST_CHECKS, RequestContext, normal_ip

T = TypeVar("T")

REDACTED = "[redacted]"
SECRET_NAME = re.compile(
    r"password|secret|token|hash|digest|credential|private|cipher|sealed", re.I
)
"""Field names whose values never reach the audit log (at any depth); neither do bytes."""

MAX_PAGE = 500
DEFAULT_PAGE = 100


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One change of one entity. ``actor`` is the actor's label (``user:<id>`` or
    ``system:<job>``), ``None`` when the unit of work was not told who acted; ``request``:
    the request the actor made it in (address, user agent, request and session ids), when
    the host passed one."""

    id: UUID
    tenant_id: TenantId
    actor: str | None
    role: Role | None
    user_id: UserId | None
    api_key_id: UUID | None
    action: AuditAction
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime
    request: RequestContext | None = None

    @property
    def cursor(self) -> AuditCursor:
        """Where the page after this entry starts."""
        return AuditCursor(at=self.at, id=self.id)


@attrs.frozen(kw_only=True, order=True)
class AuditCursor:
    """A position in the log, which is ordered by ``(at, id)``."""

    at: datetime
    id: UUID


@attrs.frozen(kw_only=True)
class AuditQuery:
    """Entries matching every filter given, oldest first, at most ``limit`` of them after
    ``after`` (the ``next`` cursor of the previous page). ``since`` is inclusive,
    ``until`` exclusive; ``request_id`` and ``ip_address`` select by the request."""

    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    request_id: str | None = None
    ip_address: str | None = attrs.field(default=None, converter=normal_ip)
    since: datetime | None = None
    until: datetime | None = None
    after: AuditCursor | None = None
    limit: int = DEFAULT_PAGE

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (self.entity_type is None or entry.entity_type == self.entity_type)
            and (self.entity_id is None or entry.entity_id == self.entity_id)
            and (self.actor is None or entry.actor == self.actor)
            and (self.request_id is None or _request(entry).request_id == self.request_id)
            and (self.ip_address is None or _request(entry).ip_address == self.ip_address)
            and (self.since is None or entry.at >= self.since)
            and (self.until is None or entry.at < self.until)
            and (self.after is None or entry.cursor > self.after)
        )


v.validated(
    AuditQuery,
    entity_type=v.optional(v.text(50)),
    entity_id=v.optional(v.text(255)),
    actor=v.optional(v.text(255)),
    request_id=REQUEST_CHECKS["request_id"],
    ip_address=REQUEST_CHECKS["ip_address"],
    since=v.optional(v.instant),
    until=v.optional(v.instant),
    limit=v.integer(1, MAX_PAGE),
)


def _request(entry: AuditEntry) -> RequestContext:
    return entry.request or NO_REQUEST


NO_REQUEST = RequestContext()


@attrs.frozen(kw_only=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    next: AuditCursor | None
    """The cursor of the following page; ``None`` on the last one."""


def page_of(entries: Sequence[AuditEntry], limit: int) -> AuditPage:
    """A page from up to ``limit + 1`` matching entries in order (one more says whether
    another page follows)."""
    shown = tuple(entries[:limit])
    return AuditPage(entries=shown, next=shown[-1].cursor if len(entries) > limit else None)


def audit_entries(
    tenant_id: TenantId, changes: Sequence[Change], actor: Actor | None, at: datetime
) -> list[AuditEntry]:
    """One entry per change, in the order the entities were first written (a write that
    changed no field, or an entity added and removed again, is no change)."""
    written = (c for c in changes if c.before is not None or c.after is not None)
    entries = (_entry(tenant_id, change, actor, at) for change in written)
    return [entry for entry in entries if entry.after != {}]


def _entry(tenant_id: TenantId, change: Change, actor: Actor | None, at: datetime) -> AuditEntry:
    before: Any
    after: Any
    if change.before is None:
        action, before, after = AuditAction.CREATE, None, snapshot(change.after)
    elif change.after is None:
        action, before, after = AuditAction.DELETE, snapshot(change.before), None
    else:
        action = AuditAction.UPDATE
        old, new = _snapshots_of_changed_fields(change.before, change.after)
        before, after = {}, {}
        for name in (name for name in new if old.get(name) != new[name]):
            before[name], after[name] = _changed(old.get(name), new[name])
    return AuditEntry(
        id=new_uuid(),
        tenant_id=tenant_id,
        actor=None if actor is None else actor.label,
        role=None if actor is None else actor.role,
        user_id=None if actor is None else actor.user_id,
        api_key_id=None if actor is None else actor.api_key_id,
        action=action,
        entity_type=change.entity_type,
        entity_id=entity_id(change.key, change.before if change.after is None else change.after),
        before=None if before is None else redacted(before),
        after=None if after is None else redacted(after),
        at=at,
        request=None if actor is None else actor.request,
    )


def snapshot(entity: object) -> Any:
    """``entity`` as data through the one serialization path; an attrs class whose
    annotations do not resolve (one defined outside an importable module) field by field,
    its values through the same path."""
    try:
        return to_data(entity)
    except NameError:
        return attrs.asdict(
            cast(attrs.AttrsInstance, entity),
            filter=lambda field, _: not field.name.startswith("_"),
            value_serializer=_value,
        )


def _snapshots_of_changed_fields(old: object, new: object) -> tuple[Any, Any]:
    """The snapshots of ``old`` and ``new`` (two versions of one entity), reduced to the
    fields whose values differ, and for a list to the items that left and came, when both
    are instances of one attrs class (nothing else is serialized: a balance's unchanged
    holds, for one)."""
    cls = type(new)
    if type(old) is not cls or not attrs.has(cls):
        return snapshot(old), snapshot(new)
    names = [f.name for f in attrs.fields(cls) if f.init]  # (the fields ``to_data`` writes)
    changed = [n for n in names if getattr(old, n) != getattr(new, n)]
    lists = {
        n: _changed(a, b)
        for n in changed
        if not n.startswith("_")
        and isinstance(a := getattr(old, n), list | tuple)
        and isinstance(b := getattr(new, n), list | tuple)
    }
    try:
        partial = _partial_snapshot(cls, frozenset(changed).difference(lists))
    except NameError:
        return snapshot(old), snapshot(new)
    before, after = partial(old), partial(new)
    for name, (left, came) in lists.items():  # only the items that left and came
        before[name], after[name] = to_data(left), to_data(came)
    return before, after


@functools.cache
def _partial_snapshot(cls: type, fields: frozenset[str]) -> Callable[[Any], dict[str, Any]]:
    """``to_data`` for ``cls`` with only ``fields``."""
    attrs.resolve_types(cls)
    omitted = {f.name: override(omit=True) for f in attrs.fields(cls) if f.name not in fields}
    options = cast(dict[str, Any], omitted)
    return make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=converter.omit_if_default, **options
    )


def _value(_: object, __: object, value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | list | tuple | set | dict):
        return value
    return value if attrs.has(type(value)) else to_data(value)


def _changed(old: Any, new: Any) -> tuple[Any, Any]:
    """A field's values before and after; for two lists, the items that left and the items
    that came (a ledger's entries: the one appended)."""
    if not (isinstance(old, list) and isinstance(new, list)):
        return old, new
    same = 0
    for a, b in zip(old, new, strict=False):
        if a is not b and a != b:
            break
        same += 1
    left, came = old[same:], new[same:]
    return [x for x in left if x not in came], [x for x in came if x not in left]


def entity_id(key: Hashable, entity: object) -> str:
    """How the log names an entity: its ``id``, else its key's parts joined by ``/``."""
    found = getattr(entity, "id", None)
    if found is not None:
        return str(found)
    if isinstance(key, tuple):
        return "/".join(map(str, key))
    return str(key)


def masked(entity: T, *fields: str) -> T:
    """``entity`` as the audit log keeps it when ``fields`` hold free text that may name a
    person: each one that holds a value shows :data:`REDACTED` (the text stays in the
    record, where an erasure reaches it)."""
    values = {name: REDACTED for name in fields if getattr(entity, name) is not None}
    return cast(T, attrs.evolve(cast(Any, entity), **values)) if values else entity


_NESTED = (dict, list, tuple, set, frozenset, bytes)
"""The values :func:`redacted` looks into (any other value is kept as it is)."""


def redacted(data: Any) -> Any:
    """``data`` (from ``to_data``) as JSON, with the value of every key that names a secret
    replaced, at any depth; sets become sorted lists."""
    if isinstance(data, dict):
        shown = {}
        for key, value in data.items():
            name = key if type(key) is str else str(key)
            if _names_secret(name):
                shown[name] = REDACTED
            else:
                shown[name] = redacted(value) if isinstance(value, _NESTED) else value
        return shown
    if isinstance(data, bytes):
        return REDACTED
    if isinstance(data, set | frozenset):
        return sorted((redacted(item) for item in data), key=str)
    if isinstance(data, list | tuple):
        return [redacted(item) if isinstance(item, _NESTED) else item for item in data]
    return data


@functools.lru_cache(maxsize=4096)
def _names_secret(key: str) -> bool:
    return SECRET_NAME.search(key) is not None
