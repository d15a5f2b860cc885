"""How a change becomes an audit entry: which fields, list items, redaction, no-ops."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.audit import REDACTED, AuditAction, audit_entries, redacted
from travelcore.audit.model import SECRET_NAME, _changed, snapshot
from travelcore.kernel import Actor, Change, Role, TenantId, UserId, new_uuid
from travelcore.ledger import BillingPeriod, CreditBalance

T0 = datetime(2026, 4, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())
PERIOD = BillingPeriod(date(2026, 4, 1), date(2026, 5, 1))


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


def _full_diff(old: object, new: object) -> tuple[dict, dict]:
    """An update's fields as the whole snapshots of both versions say (the reference the
    entries, which serialize only the fields that differ, must agree with)."""
    before, after = snapshot(old), snapshot(new)
    changed = [name for name in after if before.get(name) != after[name]]
    pairs = {name: _changed(before.get(name), after[name]) for name in changed}
    return (
        redacted({name: pair[0] for name, pair in pairs.items()}),
        redacted({name: pair[1] for name, pair in pairs.items()}),
    )


@given(
    allocations=st.lists(st.integers(1, 50), min_size=1, max_size=4),
    holds=st.lists(st.integers(1, 5), max_size=6),
    voided=st.sets(st.integers(0, 5)),
)
@settings(max_examples=60, deadline=None)
def test_an_update_of_a_balance_agrees_with_the_diff_of_its_whole_snapshots(
    allocations: list[int], holds: list[int], voided: set[int]
) -> None:
    balance = CreditBalance.open(TENANT, UserId(new_uuid()), PERIOD, T0)
    balance.allocate(sum(allocations) + sum(holds), T0, actor="test")
    placed = [balance.place_hold(new_uuid(), credits, T0, timedelta(days=1)) for credits in holds]
    old = copy.deepcopy(balance)
    for n in sorted(voided & set(range(len(placed)))):
        balance.void_hold(placed[n].id, T0)
    for credits in allocations:
        balance.allocate(credits, T0, actor="test")
    entries = audit_entries(TENANT, [Change("credit_balance", balance.id, old, balance)], None, T0)
    [e] = entries
    assert (e.before, e.after) == _full_diff(old, balance)


def _redacted_walk(data: object) -> object:
    """Redaction spelled out as a plain walk of every value (the reference)."""
    if isinstance(data, bytes):
        return REDACTED
    if isinstance(data, dict):
        return {
            str(k): REDACTED if SECRET_NAME.search(str(k)) else _redacted_walk(v)
            for k, v in data.items()
        }
    if isinstance(data, set | frozenset):
        return sorted((_redacted_walk(item) for item in data), key=str)
    if isinstance(data, list | tuple):
        return [_redacted_walk(item) for item in data]
    return data


_KEYS = st.sampled_from(["name", "password", "api_key", "token", "note", "secret_hash", "n"])


@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5) | st.binary(max_size=3),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(_KEYS | st.integers(), inner, max_size=3)
            | st.frozensets(st.integers(), max_size=3)
        ),
        max_leaves=10,
    )
)
def test_redaction_equals_a_walk_of_every_value(data: object) -> None:
    assert redacted(data) == _redacted_walk(data)
