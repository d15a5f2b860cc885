"""Feature flags: the evaluation rules, stable rollout buckets, variant weights and checks."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from travelcore.flags import FeatureFlag, FlagContext, FlagReason, FlagSet, bucket, evaluate
from travelcore.kernel import NotFound, TenantId, ValidationFailed, new_uuid

T0 = datetime(2026, 6, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())
keys = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=40)


def flag(**fields: object) -> FeatureFlag:
    values: dict[str, object] = {"key": "new_search", "name": "New search", "enabled": True}
    return FeatureFlag(tenant_id=TENANT, **(values | fields))  # type: ignore[arg-type]


def ctx(user: UUID | None = None, **fields: object) -> FlagContext:
    values: dict[str, object] = {"environment": "production", "now": T0, "user_id": user}
    return FlagContext(**(values | fields))  # type: ignore[arg-type]


def users(count: int, seed: int) -> list[UUID]:
    rng = random.Random(seed)
    return [UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


@given(key=keys, user=st.uuids(), percentage=st.integers(0, 100))
def test_a_users_answer_is_the_same_on_every_call(key: str, user: UUID, percentage: int) -> None:
    f = flag(key=key, rollout_percentage=percentage, variants={"a": 1, "b": 2})
    assert len({evaluate(f, ctx(user)) for _ in range(3)}) == 1


@settings(max_examples=3, deadline=None)
@given(key=keys, seed=st.integers(0, 2**32))
def test_a_users_bucket_is_the_same_in_another_process(key: str, seed: int) -> None:
    sample = users(200, seed)
    script = (
        "import json, sys, uuid\n"
        "from travelcore.flags import bucket\n"
        "key, ids = json.load(sys.stdin)\n"
        "print(json.dumps([bucket(key, uuid.UUID(i)) for i in ids]))\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    env = os.environ | {"PYTHONPATH": str(src), "PYTHONHASHSEED": str(seed % 4_000)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([key, [str(u) for u in sample]]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert json.loads(out) == [bucket(key, u) for u in sample]


@settings(max_examples=8, deadline=None)
@given(key=keys, percentage=st.integers(0, 100), seed=st.integers(0, 2**32))
def test_a_rollout_of_p_percent_enables_p_percent_of_100000_users(
    key: str, percentage: int, seed: int
) -> None:
    f = flag(key=key, rollout_percentage=percentage)
    enabled = sum(evaluate(f, ctx(u)).enabled for u in users(100_000, seed))
    assert abs(enabled / 1_000 - percentage) <= 2


def test_raising_the_percentage_keeps_everyone_already_in() -> None:
    sample = users(5_000, 7)
    before = {u for u in sample if evaluate(flag(rollout_percentage=20), ctx(u)).enabled}
    after = {u for u in sample if evaluate(flag(rollout_percentage=50), ctx(u)).enabled}
    assert before < after


@settings(max_examples=5, deadline=None)
@given(weights=st.lists(st.integers(1, 100), min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_variants_follow_their_weights(weights: list[int], seed: int) -> None:
    variants = {f"v{i}": w for i, w in enumerate(weights)}
    f = flag(rollout_percentage=100, variants=variants)
    counts = Counter(evaluate(f, ctx(u)).variant for u in users(20_000, seed))
    total = sum(weights)
    for name, weight in variants.items():
        assert abs(counts[name] / 20_000 - weight / total) <= 0.02


def test_the_rules_in_order() -> None:
    user, corporate = new_uuid(), new_uuid()
    window = {"starts_at": T0, "ends_at": T0 + timedelta(days=1)}
    cases = [
        (flag(enabled=False, rollout_percentage=100), ctx(user), FlagReason.DISABLED),
        (flag(environments={"staging"}, rollout_percentage=100), ctx(user), "environment"),
        (flag(rollout_percentage=100, **window), ctx(user, now=T0 - timedelta(1)), "outside"),
        (flag(rollout_percentage=100, **window), ctx(user, now=T0 + timedelta(1)), "outside"),
        (flag(target_user_ids={user}, target_roles={"hr_admin"}), ctx(user), "targeted_user"),
        (flag(target_roles={"hr_admin"}, rollout_percentage=100), ctx(user), "role_not"),
        (
            flag(target_corporate_ids={corporate}),
            ctx(user, corporate_id=corporate),
            "targeted_corporate",
        ),
        (flag(rollout_percentage=100, **window), ctx(user), FlagReason.IN_ROLLOUT),
        (flag(rollout_percentage=0), ctx(user), FlagReason.OUT_OF_ROLLOUT),
    ]
    for f, context, reason in cases:
        result = evaluate(f, context)
        assert result.reason.startswith(reason)
        assert result.enabled == (reason in {"targeted_user", "targeted_corporate", "in_rollout"})


def test_a_role_listed_lets_the_rollout_decide() -> None:
    f = flag(target_roles={"parent"}, rollout_percentage=100)
    assert evaluate(f, ctx(new_uuid(), role="parent")).enabled
    assert not evaluate(f, ctx(new_uuid(), role=None)).enabled


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"key": ""}, "key", "non_empty"),
        ({"rollout_percentage": 101}, "rollout_percentage", None),
        ({"environments": set()}, "environments", None),
        ({"variants": {"a": 0}}, "variants.a", None),
        ({"target_user_ids": ["x"]}, "target_user_ids[0]", None),
        ({"starts_at": T0, "ends_at": T0}, "ends_at", "after_starts_at"),
        ({"starts_at": datetime(2026, 1, 1)}, "starts_at", None),
    ],
)
def test_bad_fields_are_refused_naming_the_field(
    fields: dict[str, object], field: str, rule: str | None
) -> None:
    with pytest.raises(ValidationFailed) as error:
        flag(**fields)
    assert error.value.field == field
    if rule is not None:
        assert error.value.rule == rule


def test_a_flag_set_answers_by_key() -> None:
    flags = FlagSet([flag(rollout_percentage=100), flag(key="off", enabled=False)])
    assert flags.is_enabled("new_search", ctx(new_uuid()))
    assert not flags.is_enabled("off", ctx(new_uuid()))
    assert not flags.is_enabled("unknown", ctx(new_uuid()))
    with pytest.raises(NotFound):
        flags.evaluate("unknown", ctx())
