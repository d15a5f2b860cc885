"""The example API through HTTP on embedded PostgreSQL: the family pass and business trips,
idempotent retries, tenant isolation, scopes, sign-in and problem details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

from examples.api.sample import SampleData, seed
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import headers, ok
from travelcore.kernel import Actor, ManualClock, Role


def test_a_family_books_cancels_and_a_waitlisted_child_is_promoted(
    client: TestClient, sample: SampleData, api_clock: ManualClock
) -> None:
    garcia, kim = sample.parents
    session = str(sample.single_seat_session)
    ana, jun = garcia.children[0], kim.children[0]
    booked = ok(
        client.post(
            "/bookings",
            headers=headers(sample, garcia, "book-ana"),
            json={"session_id": session, "child_id": str(ana)},
        ),
        201,
    )
    assert booked["status"] == "pending"
    held = ok(client.get("/credits/balance", headers=headers(sample, garcia)))
    assert (held["held"], held["available"], held["used"]) == (4, 36, 0)
    confirmed = client.post(
        f"/bookings/{booked['booking_id']}/confirm", headers=headers(sample, garcia, "confirm-ana")
    )
    assert ok(confirmed)["status"] == "confirmed"
    assert ok(client.get("/credits/balance", headers=headers(sample, garcia)))["used"] == 4

    full = client.post(
        "/bookings",
        headers=headers(sample, kim, "book-jun"),
        json={"session_id": session, "child_id": str(jun)},
    )
    assert full.status_code == 409
    assert full.headers["content-type"] == "application/problem+json"
    assert full.json()["code"] == "capacity_exceeded"
    entry = ok(
        client.post(
            "/waitlist",
            headers=headers(sample, kim, "wait-jun"),
            json={"session_id": session, "child_id": str(jun)},
        ),
        201,
    )
    assert entry["position"] == 1

    api_clock.advance(timedelta(days=1))  # still more than 48 hours before the session
    cancelled = ok(
        client.post(
            f"/bookings/{booked['booking_id']}/cancel",
            headers=headers(sample, garcia, "cancel-ana"),
            json={"reason": "child_sick"},
        )
    )
    assert cancelled["refund_eligible"] is True
    balance = ok(client.get("/credits/balance", headers=headers(sample, garcia)))
    assert (balance["available"], balance["refunded"]) == (40, 4)

    # the seat went to Jun's entry: it is offered, so Kim can accept it
    promoted = ok(
        client.post(
            f"/waitlist/{entry['entry_id']}/accept", headers=headers(sample, kim, "accept-jun")
        )
    )
    assert promoted["child_id"] == str(jun)
    assert (
        ok(client.get(f"/bookings/{promoted['booking_id']}", headers=headers(sample, kim)))[
            "source"
        ]
        == "waitlist"
    )
    dashboard = ok(client.get("/dashboard", headers=headers(sample, kim)))
    assert [b["booking_id"] for b in dashboard["upcoming_bookings"]] == [promoted["booking_id"]]
    assert (dashboard["credits_available"], dashboard["credits_used"]) == (36, 0)


def test_siblings_book_one_session_together(client: TestClient, sample: SampleData) -> None:
    garcia = sample.parents[0]
    group = ok(
        client.post(
            "/bookings/group",
            headers=headers(sample, garcia, "siblings"),
            json={
                "session_id": str(sample.sessions[0]),
                "child_ids": list(map(str, garcia.children)),
            },
        ),
        201,
    )
    assert len(group["bookings"]) == 2
    assert ok(client.get("/dashboard", headers=headers(sample, garcia)))["credits_available"] == 32


def test_a_traveller_books_and_pays_a_trip(
    client: TestClient, sample: SampleData, stripe_card: Callable[[], str]
) -> None:
    ada = sample.traveller
    draft = ok(
        client.post(
            "/travel/itineraries",
            headers=headers(sample, ada, "draft"),
            json={
                "starts_on": "2026-04-14",
                "ends_on": "2026-04-16",
                "destinations": ["Lisbon"],
                "days": [{"day": "2026-04-14", "activity_type": "travel"}],
            },
        ),
        201,
    )
    flight = {
        "kind": "flight",
        "provider": "Amadeus",
        "external_ref": "PNR-7QX2",
        "unit_price": {"amount": "289.00", "currency": "EUR"},
        "quantity": 1,
        "starts_on": "2026-04-14",
        "cabin_class": "economy",
        "destination": "LIS",
    }
    hotel = {
        "kind": "hotel",
        "provider": "Booking.com",
        "external_ref": "BK-55120",
        "unit_price": {"amount": "172.00", "currency": "EUR"},
        "quantity": 2,
        "starts_on": "2026-04-14",
        "ends_on": "2026-04-16",
        "hotel_stars": 4,
    }
    trip_body = {"itinerary_id": draft["id"], "currency": "EUR", "items": [flight, hotel]}
    refused = client.post(
        "/travel/trips",
        headers=headers(sample, ada, "business"),
        json={**trip_body, "items": [{**flight, "cabin_class": "business"}, hotel]},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "policy_violation"
    trip = ok(
        client.post("/travel/trips", headers=headers(sample, ada, "trip"), json=trip_body), 201
    )
    assert trip["total"] == {"amount": "633.00", "currency": "EUR"}
    assert [w["rule"] for w in trip["warnings"]] == ["per_night_cap"]

    paid = ok(
        client.post(
            f"/travel/trips/{trip['id']}/payments",
            headers=headers(sample, ada, "pay"),
            json={"payment_method": stripe_card()},
        ),
        201,
    )
    assert paid["status"] == "succeeded"
    assert paid["provider_ref"].startswith("pi_")
    assert (
        ok(client.get(f"/travel/trips/{trip['id']}", headers=headers(sample, ada)))["status"]
        == "confirmed"
    )
    spend = ok(client.get("/travel/spend?period=quarter", headers=headers(sample, ada)))
    assert spend["lines"][0]["total"] == {"amount": "633.00", "currency": "EUR"}


def test_a_retried_request_with_one_idempotency_key_has_one_effect(
    client: TestClient, sample: SampleData
) -> None:
    garcia = sample.parents[0]
    body = {"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])}
    first = ok(client.post("/bookings", headers=headers(sample, garcia, "once"), json=body), 201)
    again = ok(client.post("/bookings", headers=headers(sample, garcia, "once"), json=body), 201)
    assert again == first
    balance = ok(client.get("/credits/balance", headers=headers(sample, garcia)))
    assert (balance["held"], balance["available"]) == (4, 36)
    ok(
        client.post(
            f"/bookings/{first['booking_id']}/confirm", headers=headers(sample, garcia, "c")
        )
    )
    ok(
        client.post(
            f"/bookings/{first['booking_id']}/confirm", headers=headers(sample, garcia, "c")
        )
    )
    ledger = ok(client.get("/credits/ledger", headers=headers(sample, garcia)))
    assert [e["entry_type"] for e in ledger["items"]] == ["allocation", "booking_debit"]

    other = {**body, "child_id": str(garcia.children[1])}
    reused = client.post("/bookings", headers=headers(sample, garcia, "once"), json=other)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_conflict"


def test_another_tenants_ids_give_404(api: FastAPI, client: TestClient, sample: SampleData) -> None:
    garcia = sample.parents[0]
    booked = ok(
        client.post(
            "/bookings",
            headers=headers(sample, garcia, "mine"),
            json={"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])},
        ),
        201,
    )
    other = seed(api.state.services)
    stranger = other.parents[0]
    for response in (
        client.get(f"/bookings/{booked['booking_id']}", headers=headers(other, stranger)),
        client.post(
            f"/bookings/{booked['booking_id']}/cancel",
            headers=headers(other, stranger, "theirs"),
            json={"reason": "other"},
        ),
        client.post(
            "/bookings",
            headers=headers(other, stranger, "their-session"),
            json={"session_id": str(sample.sessions[0]), "child_id": str(stranger.children[0])},
        ),
        client.get(f"/activities/{uuid4()}/sessions", headers=headers(other, stranger)),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["type"] == "/problems/not_found"
    # and the key of one tenant does not open another
    wrong = {**headers(sample, garcia), "X-Tenant-Id": str(other.tenant_id)}
    assert client.get("/activities", headers=wrong).status_code == 401


def test_an_actor_outside_its_scope_gets_403(
    api: FastAPI, client: TestClient, sample: SampleData
) -> None:
    from examples.api.sample import _api_key

    garcia = sample.parents[0]
    reader = _api_key(
        api.state.services.app,
        sample.tenant_id,
        garcia.user_id,
        "parent",
        frozenset({"read:activities"}),
        staff=Actor(tenant_id=sample.tenant_id, role=Role.PLATFORM_ADMIN, user_id=garcia.user_id),
    )
    as_reader = {"Authorization": f"Bearer {reader}", "X-Tenant-Id": str(sample.tenant_id)}
    assert client.get("/activities", headers=as_reader).status_code == 200
    refused = client.post(
        "/bookings",
        headers={**as_reader, "Idempotency-Key": "no-scope"},
        json={"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])},
    )
    assert refused.status_code == 403
    assert refused.json() | {"detail": None} == {
        "type": "/problems/access_denied",
        "title": "The actor may not do this",
        "status": 403,
        "code": "access_denied",
        "detail": None,
        "rule": "scope",
    }
    assert ok(client.get("/credits/balance", headers=headers(sample, garcia)))["held"] == 0

    # and a parent acts on their own family only (DOMAIN.md section 10)
    kim = sample.parents[1]
    booked = ok(
        client.post(
            "/bookings",
            headers=headers(sample, garcia, "own"),
            json={"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])},
        ),
        201,
    )
    for response in (
        client.post(
            f"/bookings/{booked['booking_id']}/cancel",
            headers=headers(sample, kim, "not-mine"),
            json={"reason": "other"},
        ),
        client.get(f"/bookings/{booked['booking_id']}", headers=headers(sample, kim)),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["rule"] == "own_family"
    listing = client.get(f"/sessions/{sample.sessions[0]}/waitlist", headers=headers(sample, kim))
    assert (listing.status_code, listing.json()["rule"]) == (403, "role")


def test_a_signed_in_parent_uses_a_session(client: TestClient, sample: SampleData) -> None:
    garcia = sample.parents[0]
    signed = client.post(
        "/auth/sessions",
        json={
            "tenant_id": str(sample.tenant_id),
            "email": garcia.email,
            "password": sample.password,
        },
    )
    token = ok(signed, 201)["token"]
    assert "travelcore_session" in signed.cookies
    me = ok(client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}))
    assert (me["user_id"], me["role"], me["scopes"]) == (str(garcia.user_id), "parent", None)
    assert ok(client.get("/dashboard"))["user_id"] == str(garcia.user_id)  # the cookie
    wrong = client.post(
        "/auth/sessions",
        json={"tenant_id": str(sample.tenant_id), "email": garcia.email, "password": "nope"},
    )
    assert wrong.status_code == 403
    client.cookies.clear()
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_lists_are_paginated_and_bounded(client: TestClient, sample: SampleData) -> None:
    garcia = sample.parents[0]
    first = ok(client.get("/activities?limit=2", headers=headers(sample, garcia)))
    assert (len(first["items"]), first["total"], first["next_offset"]) == (2, 3, 2)
    last = ok(client.get("/activities?limit=2&offset=2", headers=headers(sample, garcia)))
    assert (len(last["items"]), last["next_offset"]) == (1, None)
    names = [a["name"] for a in first["items"] + last["items"]]
    assert names == sorted(names)
    too_many = client.get("/activities?limit=101", headers=headers(sample, garcia))
    assert too_many.status_code == 422
    assert (too_many.json()["field"], too_many.json()["rule"]) == ("limit", "less_than_equal")


def test_errors_are_problem_details(client: TestClient, sample: SampleData) -> None:
    garcia = sample.parents[0]
    anonymous = client.get("/dashboard")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    no_key = client.post(
        "/bookings",
        headers=headers(sample, garcia),
        json={"session_id": str(sample.sessions[0]), "child_id": str(garcia.children[0])},
    )
    assert (no_key.status_code, no_key.json()["field"]) == (422, "Idempotency-Key")
    too_young = client.post(
        "/travel/itineraries",
        headers=headers(sample, sample.traveller, "backwards"),
        json={"starts_on": "2026-04-16", "ends_on": "2026-04-14", "destinations": ["Lisbon"]},
    )
    assert too_young.status_code == 422
    assert too_young.json()["code"] == "validation_failed"
    assert too_young.json()["field"]
    served = ok(client.get("/problems/capacity_exceeded"))
    assert served == {
        "type": "/problems/capacity_exceeded",
        "code": "capacity_exceeded",
        "status": 409,
        "title": "No seats left",
    }
