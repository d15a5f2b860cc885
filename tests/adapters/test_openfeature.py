"""The OpenFeature provider gives the answers of travelcore's own evaluation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from travelcore.flags import FeatureFlag, FlagContext, FlagSet, evaluate
from travelcore.kernel import ManualClock, TenantId, new_uuid
from travelcore_adapters.flags import TravelcoreFlagProvider

T0 = datetime(2026, 6, 1, tzinfo=UTC)
TENANT = TenantId(new_uuid())
CORPORATE = new_uuid()
FLAGS = FlagSet(
    [
        FeatureFlag(
            tenant_id=TENANT,
            key="ai_suggestions",
            name="AI suggestions",
            enabled=True,
            rollout_percentage=40,
            target_roles=frozenset({"parent", "hr_admin"}),
            target_corporate_ids=frozenset({CORPORATE}),
            variants={"control": 50, "compact": 30, "rich": 20},
        ),
        FeatureFlag(tenant_id=TENANT, key="dark_mode", name="Dark mode"),
    ]
)


@pytest.fixture(scope="module")
def client() -> Iterator[OpenFeatureClient]:
    provider = TravelcoreFlagProvider(
        lambda: FLAGS, environment="production", clock=ManualClock(T0)
    )
    api.set_provider(provider, domain="travelcore-tests")
    yield api.get_client(domain="travelcore-tests")
    api.clear_providers()


@settings(max_examples=200)
@given(
    user=st.uuids(),
    role=st.sampled_from(["parent", "hr_admin", "venue_admin", None]),
    corporate=st.sampled_from([CORPORATE, None]),
)
def test_the_client_answers_as_the_evaluator(
    client: OpenFeatureClient, user: UUID, role: str | None, corporate: UUID | None
) -> None:
    attributes = {"role": role} if role else {}
    if corporate:
        attributes["corporate_id"] = str(corporate)
    context = EvaluationContext(targeting_key=str(user), attributes=attributes)
    own = evaluate(
        FLAGS.get("ai_suggestions"),
        FlagContext(
            environment="production", now=T0, user_id=user, role=role, corporate_id=corporate
        ),
    )
    assert client.get_boolean_value("ai_suggestions", False, context) is own.enabled
    assert client.get_string_value("ai_suggestions", "off", context) == (own.variant or "off")


def test_a_switched_off_flag_reports_disabled(client: OpenFeatureClient) -> None:
    details = client.get_boolean_details("dark_mode", True, EvaluationContext(str(new_uuid())))
    assert details.value is False
    assert details.reason == Reason.DISABLED


def test_an_unknown_flag_gives_the_default_and_flag_not_found(client: OpenFeatureClient) -> None:
    details = client.get_boolean_details("missing", True)
    assert details.value is True
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND


def test_a_targeting_key_that_is_no_uuid_is_an_invalid_context(
    client: OpenFeatureClient,
) -> None:
    details = client.get_boolean_details("ai_suggestions", False, EvaluationContext("bob"))
    assert details.error_code == ErrorCode.INVALID_CONTEXT


def test_a_number_flag_is_a_type_mismatch(client: OpenFeatureClient) -> None:
    details = client.get_integer_details("ai_suggestions", 3)
    assert (details.value, details.error_code) == (3, ErrorCode.TYPE_MISMATCH)
