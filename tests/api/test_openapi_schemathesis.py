"""Schemathesis generates requests for every operation of the OpenAPI schema, once as a
parent and once as the traveller of a sample tenant, each with a key holding every scope
(so the family pass and the trip planner both answer past their access checks): no answer
is a server error, and every answer (status, content type, headers, body) is one the
schema documents."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from examples.api.sample import SampleData, _api_key
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import headers
from travelcore.apikeys.model import SCOPES
from travelcore.kernel import Actor

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12


def known_ids(client: TestClient, sample: SampleData) -> dict[str, list[str]]:
    """Ids that exist in the sample tenant, per path parameter: a booking, a waitlist entry,
    an itinerary and a trip are made first, so generated requests also reach real rows."""
    garcia, kim = sample.parents
    book = {"session_id": str(sample.single_seat_session), "child_id": str(garcia.children[0])}
    booking = client.post("/bookings", json=book, headers=headers(sample, garcia, "s-1")).json()
    wait = {"session_id": str(sample.single_seat_session), "child_id": str(kim.children[0])}
    entry = client.post("/waitlist", json=wait, headers=headers(sample, kim, "s-2")).json()
    plan = {"starts_on": "2026-04-14", "ends_on": "2026-04-16", "destinations": ["Lisbon"]}
    ada = headers(sample, sample.traveller, "s-3")
    itinerary = client.post("/travel/itineraries", json=plan, headers=ada).json()
    tour = {
        "kind": "tour",
        "provider": "GetYourGuide",
        "external_ref": "GYG-1",
        "unit_price": {"amount": "45.00", "currency": "EUR"},
        "quantity": 2,
        "starts_on": "2026-04-15",
    }
    trip_body = {"currency": "EUR", "items": [tour]}
    trip = client.post("/travel/trips", json=trip_body, headers={**ada, "Idempotency-Key": "s-4"})
    suggestions = client.get("/suggestions", headers=headers(sample, garcia)).json()["items"]
    activities = client.get("/activities", headers=headers(sample, garcia)).json()["items"]
    return {
        "session_id": [str(s) for s in sample.sessions],
        "activity_id": [a["id"] for a in activities],
        "booking_id": [booking["booking_id"]],
        "entry_id": [entry["entry_id"]],
        "itinerary_id": [itinerary["id"]],
        "trip_id": [trip.json()["id"]],
        "suggestion_id": [s["id"] for s in suggestions],
    }


@pytest.mark.parametrize("role", ["parent", "traveller"])
def test_every_operation_answers_as_documented(
    api: FastAPI, client: TestClient, sample: SampleData, role: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    person = sample.parents[0] if role == "parent" else sample.traveller
    staff = Actor.platform_admin(sample.tenant_id, person.user_id)
    every_scope = _api_key(
        api.state.services.app, sample.tenant_id, person.user_id, role, SCOPES, staff=staff
    )
    auth = {"Authorization": f"Bearer {every_scope}", "X-Tenant-Id": str(sample.tenant_id)}
    known = known_ids(client, sample)
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for loaded in schema.get_all_operations():
        operation = loaded.ok()

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case, data: st.DataObject) -> None:
            for name in case.path_parameters or {}:
                if name in known and data.draw(st.booleans(), label=f"real {name}"):
                    case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
            sent[case.operation.label] += 1
            response = case.call_and_validate(headers=auth, checks=CHECKS)
            statuses[response.status_code] += 1

        answers_as_documented()
    print(f"\nschemathesis ({role}): {sum(sent.values())} requests over {len(sent)} operations")
    print(f"schemathesis ({role}): answers by status {dict(sorted(statuses.items()))}")
    assert len(sent) == sum(len(methods) for methods in api.openapi()["paths"].values())
