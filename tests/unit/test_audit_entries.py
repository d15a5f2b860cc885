"""How a change becomes an audit entry: which fields, list items, redaction, no-ops."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from travelcore.audit import REDACTED, AuditAction, audit_entries, redacted
from travelcore.kernel import Actor, Change, Role, TenantId, UserId, new_uuid

T0 = datetime(2026, 4, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())


@attrs.define
class Account:
    id: int
    name: str
    lines: list[str]
    password_hash: str
    api_token: bytes = b"\x00"
    version: int = 0


def entry(before: Account | None, after: Account | None, actor: Actor | None = None) -> list:
    return audit_entries(TENANT, [Change("account", 7, before, after)], actor, T0)


def test_an_update_records_the_changed_fields_and_the_list_items_that_came_and_left() -> None:
    old = Account(1, "Ada", ["a", "b", "c"], "h1")
    new = Account(1, "Ada L.", ["a", "c", "d"], "h2", version=1)
    [e] = entry(old, new)
    assert e.action is AuditAction.UPDATE
    assert e.before == {"name": "Ada", "lines": ["b"], "password_hash": REDACTED, "version": 0}
    assert e.after == {"name": "Ada L.", "lines": ["d"], "password_hash": REDACTED, "version": 1}


def test_a_create_and_a_delete_record_every_field_with_secrets_redacted() -> None:
    account = Account(1, "Ada", ["a"], "h1")
    [created] = entry(None, account)
    [deleted] = entry(account, None)
    assert (
        created.after
        == deleted.before
        == {
            "id": 1,
            "name": "Ada",
            "lines": ["a"],
            "password_hash": REDACTED,
            "api_token": REDACTED,
            "version": 0,
        }
    )
    assert (created.action, deleted.action) == (AuditAction.CREATE, AuditAction.DELETE)
    assert created.before is None
    assert deleted.after is None
    assert created.entity_id == "1"


def test_no_change_and_an_entity_added_then_removed_leave_no_entry() -> None:
    account = Account(1, "Ada", [], "h1")
    assert entry(account, Account(1, "Ada", [], "h1")) == []
    assert entry(None, None) == []


def test_the_actor_is_recorded() -> None:
    actor = Actor(tenant_id=TENANT, role=Role.HR_ADMIN, user_id=UserId(new_uuid()))
    [e] = entry(None, Account(1, "Ada", [], "h1"), actor)
    assert (e.actor, e.role, e.user_id, e.at) == (actor.label, Role.HR_ADMIN, actor.user_id, T0)


def test_redaction_reaches_nested_keys_and_sets_become_sorted_lists() -> None:
    data = {"profile": {"Secret_Answer": "x", "tags": frozenset({"b", "a"})}, "raw": b"\x01"}
    assert redacted(data) == {
        "profile": {"Secret_Answer": REDACTED, "tags": ["a", "b"]},
        "raw": REDACTED,
    }
