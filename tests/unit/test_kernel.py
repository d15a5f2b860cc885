"""The shared kernel: money, credits, clock, policy, errors, serialization, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import money
from travelcore.accounts import AccountService, ConversationService
from travelcore.kernel import (
    MAX_AMOUNT,
    Credits,
    DomainEvent,
    EventBus,
    IdempotencyConflict,
    ManualClock,
    Money,
    Policy,
    StaleVersion,
    StaticPolicies,
    TenantId,
    ValidationFailed,
    checked_clock,
    dumps,
    fingerprint,
    from_data,
    loads,
    new_uuid,
    positive_credits,
    run_use_case,
    to_data,
    total,
    utc,
    zone,
)
from travelcore.ledger import LedgerService
from travelcore.testing.actors import job
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.security import AesGcmSecretBox, Argon2PasswordHasher


class TestMoney:
    def test_refuses_floats(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            Money(1.5, "EUR")  # type: ignore[arg-type]
        assert err.value.field == "amount"
        assert err.value.rule == "decimal_not_float"

    def test_refuses_unknown_currency(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            Money(Decimal(1), "XXY")
        assert (err.value.field, err.value.rule) == ("currency", "iso_4217")

    def test_refuses_non_finite(self) -> None:
        with pytest.raises(ValidationFailed):
            Money(Decimal("NaN"), "EUR")

    def test_mixing_currencies_is_an_error(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            _ = Money.of(1, "EUR") + Money.of(1, "USD")
        assert err.value.rule == "same_currency"
        with pytest.raises(ValidationFailed):
            _ = Money.of(1, "EUR") < Money.of(1, "USD")

    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            ("2.5", "EUR", "2.50"),
            ("10", "JPY", "10"),
            ("1.2", "KWD", "1.200"),
            ("7.000", "USD", "7.00"),
        ],
    )
    def test_of_writes_the_amount_to_the_minor_unit(
        self, amount: str, currency: str, expected: str
    ) -> None:
        assert str(Money.of(amount, currency).amount) == expected

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [("2.345", "EUR"), ("5.005", "USD"), ("100.5", "JPY"), ("1.2345", "KWD"), ("1e-4", "BHD")],
    )
    def test_amounts_finer_than_the_minor_unit_are_refused_not_rounded(
        self, amount: str, currency: str
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            Money.of(amount, currency)
        assert (refused.value.field, refused.value.rule) == ("amount", "minor_units")
        with pytest.raises(ValidationFailed) as direct:
            Money(Decimal(amount), currency).exact("price")
        assert (direct.value.field, direct.value.rule) == ("price", "minor_units")

    def test_amounts_out_of_range_are_refused(self) -> None:
        assert Money.of(MAX_AMOUNT - 1, "JPY").amount == MAX_AMOUNT - 1
        for amount in (MAX_AMOUNT, -MAX_AMOUNT, MAX_AMOUNT * 10**20):
            with pytest.raises(ValidationFailed) as refused:
                Money(amount, "USD").exact()
            assert refused.value.rule == "range"

    @given(money())
    def test_generated_amounts_are_exact(self, amount: Money) -> None:
        assert amount.exact() is amount
        assert Money.of(amount.amount, amount.currency) == amount

    @given(money("EUR"), money("EUR"), money("EUR"))
    def test_addition_is_associative_and_exact(self, a: Money, b: Money, c: Money) -> None:
        assert (a + b) + c == a + (b + c)
        assert (a + b) - b == a

    @given(st.lists(money("USD"), max_size=20))
    def test_total_is_the_sum(self, amounts: list[Money]) -> None:
        assert total(amounts, "USD").amount == sum((m.amount for m in amounts), Decimal(0))

    def test_multiplication_by_int_and_decimal_only(self) -> None:
        assert Money.of("2.50", "EUR") * 3 == Money.of("7.50", "EUR")
        assert 2 * Money.of("1.25", "EUR") == Money.of("2.50", "EUR")
        with pytest.raises(TypeError):
            _ = Money.of(1, "EUR") * 1.5  # type: ignore[operator]

    def test_str(self) -> None:
        assert str(Money.of("3.1", "EUR")) == "3.10 EUR"


class TestCredits:
    def test_non_negative_int(self) -> None:
        assert Credits(3) == 3
        for bad, rule in [(-1, "non_negative"), (1.0, "integer"), (True, "integer")]:
            with pytest.raises(ValidationFailed) as err:
                Credits(bad)  # type: ignore[arg-type]
            assert err.value.rule == rule

    def test_positive_credits_names_the_field(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            positive_credits(0, "credits_required")
        assert (err.value.field, err.value.rule) == ("credits_required", "positive")


class TestClock:
    def test_manual_clock_moves_forward_only(self) -> None:
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        assert clock.advance(timedelta(hours=1)) == datetime(2026, 1, 1, 1, tzinfo=UTC)
        with pytest.raises(ValidationFailed):
            clock.advance(timedelta(seconds=-1))
        with pytest.raises(ValidationFailed):
            clock.set(datetime(2025, 1, 1, tzinfo=UTC))

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            utc(datetime(2026, 1, 1), "starts_at")
        assert (err.value.field, err.value.rule) == ("starts_at", "timezone_aware")

    def test_zone_names_are_checked(self) -> None:
        assert zone("Europe/Lisbon").key == "Europe/Lisbon"
        with pytest.raises(ValidationFailed) as err:
            zone("Mars/Olympus", "session_zone")
        assert err.value.field == "session_zone"


class TestPolicy:
    def test_seed_defaults(self) -> None:
        policy = Policy()
        assert policy.cancellation_window == timedelta(hours=48)
        assert policy.waitlist_offer_window == timedelta(hours=4)
        assert policy.credit_expiry_warning == timedelta(days=7)
        assert policy.curation_min_venue_score == 60
        assert policy.max_suggestions_per_child_per_month == 3
        assert policy.feedback_request_delay == timedelta(hours=1)
        assert policy.audit_retention == timedelta(days=730)
        assert policy.child_deletion_delay == timedelta(days=30)
        assert policy.inventory_release == timedelta(hours=72)
        assert policy.block_booking_horizon == timedelta(days=30)
        assert policy.platform_fee_rate == Decimal("0.175")

    def test_overrides_per_tenant_from_json_data(self) -> None:
        tenant, other = TenantId(new_uuid()), TenantId(new_uuid())
        policies = StaticPolicies(overrides={tenant: {"cancellation_window": 86400}})
        assert policies.policy_for(tenant).cancellation_window == timedelta(hours=24)
        assert policies.policy_for(other).cancellation_window == timedelta(hours=48)

    @pytest.mark.parametrize(
        ("overrides", "field", "rule"),
        [
            ({"no_such_rule": 1}, "no_such_rule", "known_policy_parameter"),
            ({"cancellation_window": -5}, "cancellation_window", "positive_duration"),
            ({"curation_min_venue_score": 101}, "curation_min_venue_score", "between_0_and_100"),
            ({"platform_fee_rate": "1.5"}, "platform_fee_rate", "decimal_rate_in_0_1"),
            ({"platform_fee_rate": "abc"}, "platform_fee_rate", "well_formed"),
        ],
    )
    def test_bad_overrides_name_field_and_rule(
        self, overrides: dict[str, object], field: str, rule: str
    ) -> None:
        with pytest.raises(ValidationFailed) as err:
            Policy().with_overrides(overrides)
        assert (err.value.field, err.value.rule) == (field, rule)


@attrs.frozen
class _Cmd:
    tenant_id: UUID
    amount: Decimal
    when: datetime
    idempotency_key: str


class TestSerializationAndIdempotency:
    def test_round_trip(self) -> None:
        cmd = _Cmd(new_uuid(), Decimal("1.10"), datetime(2026, 1, 1, tzinfo=UTC), "k")
        assert from_data(to_data(cmd), _Cmd) == cmd
        assert loads(dumps(cmd), _Cmd) == cmd
        assert to_data(cmd)["amount"] == "1.10"

    @given(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text()
            | st.uuids()
            | st.decimals(allow_nan=False, allow_infinity=False)
            | st.datetimes(timezones=st.just(UTC)),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=5), inner, max_size=4)
            ),
            max_leaves=12,
        )
    )
    def test_dumps_is_the_canonical_json_of_to_data(self, value: object) -> None:
        """JSON-ready data skips the walk through ``to_data``; the string is the same."""
        expected = json.dumps(to_data(value), sort_keys=True, separators=(",", ":"))
        assert dumps(value) == expected

    def test_fingerprint_ignores_key_but_not_content(self) -> None:
        tid = new_uuid()
        when = datetime(2026, 1, 1, tzinfo=UTC)
        a = _Cmd(tid, Decimal(1), when, "k1")
        assert fingerprint(a) == fingerprint(attrs.evolve(a, idempotency_key="k2"))
        assert fingerprint(a) != fingerprint(attrs.evolve(a, amount=Decimal(2)))

    def test_error_codes_are_stable(self) -> None:
        err = IdempotencyConflict("x", key="k")
        assert err.code == "idempotency_conflict"
        assert err.to_dict() == {"code": "idempotency_conflict", "message": "x", "key": "k"}
        assert ValidationFailed("f", "r").to_dict()["field"] == "f"


class TestRunUseCase:
    def _database(self) -> Any:
        from travelcore_adapters.memory import MemoryDatabase

        return MemoryDatabase()

    def test_runs_once_per_key_and_commits(self) -> None:
        database, tenant = self._database(), TenantId(new_uuid())
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        calls: list[datetime] = []
        cmd = _Cmd(new_uuid(), Decimal(1), datetime(2026, 1, 1, tzinfo=UTC), "k")

        def action(uow: Any, now: datetime) -> int:
            calls.append(now)
            return 7

        for _ in range(2):
            assert (
                run_use_case(database, tenant, clock, "k", cmd, int, action, actor=job(tenant)) == 7
            )
        assert calls == [clock.now()]
        with database(tenant) as uow:
            assert uow.idempotency.get("k") is not None

    def test_lost_races_rerun_the_unit_of_work_then_propagate(self) -> None:
        database, tenant = self._database(), TenantId(new_uuid())
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        cmd = _Cmd(new_uuid(), Decimal(1), datetime(2026, 1, 1, tzinfo=UTC), "race")
        attempts: list[int] = []

        def losing(uow: Any, now: datetime) -> int:
            attempts.append(1)
            raise StaleVersion("lost the race")

        with pytest.raises(StaleVersion):
            run_use_case(
                database, tenant, clock, "race", cmd, int, losing, actor=job(tenant), attempts=3
            )
        assert len(attempts) == 3
        with database(tenant) as uow:
            assert uow.idempotency.get("race") is None
        with pytest.raises(ValidationFailed) as err:
            run_use_case(
                database, tenant, clock, "race", cmd, int, losing, actor=job(tenant), attempts=0
            )
        assert (err.value.field, err.value.rule) == ("attempts", "positive_integer")


class _FixedClock:
    def __init__(self, instant: object) -> None:
        self.instant = instant

    def now(self) -> object:
        return self.instant


@pytest.mark.parametrize(
    ("clock", "rule"),
    [
        (_FixedClock(datetime(2026, 3, 2, 9)), "aware_utc"),  # naive
        (_FixedClock(datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=14)))), "aware_utc"),
        (_FixedClock("2026-03-02T09:00:00Z"), "aware_utc"),
        (object(), "clock"),
    ],
)
def test_a_clock_that_is_not_aware_utc_is_refused_when_injected(clock: Any, rule: str) -> None:
    db = MemoryDatabase()
    box = AesGcmSecretBox({"k": AesGcmSecretBox.generate_key()}, current="k")
    for build in (
        lambda: LedgerService(db, clock, policies=StaticPolicies()),
        lambda: AccountService(db, clock, secret_box=box, hasher=Argon2PasswordHasher()),
        lambda: ConversationService(db, clock),
    ):
        with pytest.raises(ValidationFailed) as err:
            build()
        assert (err.value.field, err.value.rule) == ("clock", rule)
    assert checked_clock(_FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC))) is not None


def test_the_event_bus_keeps_a_bounded_window_of_recent_events() -> None:
    bus, delivered = EventBus(recent=3), []
    bus.subscribe(delivered.append)
    events = [
        DomainEvent(tenant_id=TenantId(new_uuid()), occurred_at=datetime(2026, 1, n, tzinfo=UTC))
        for n in range(1, 6)
    ]
    bus.publish(events)
    assert bus.published == events[-3:]  # the oldest fell out of the window
    assert delivered == events  # subscribers still receive every event
