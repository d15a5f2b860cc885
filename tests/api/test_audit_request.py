"""The HTTP API passes the request (client address, user agent, request id) on the actor, so
every change it makes is found in the audit log by its request id."""

from __future__ import annotations

import re

from examples.api.sample import SampleData
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import headers, ok
from travelcore.audit import AuditQuery
from travelcore.testing.audit import every_entry
from travelcore_adapters import bootstrap


def test_a_booking_made_over_http_is_audited_with_its_request(
    api: FastAPI, wired: bootstrap.App, sample: SampleData
) -> None:
    garcia = sample.parents[0]
    child = garcia.children[0]
    sent = {"User-Agent": "family-app/3.1 (iOS 18)", "X-Request-ID": "req-audit-1"}
    with TestClient(api, client=("198.51.100.4", 50123)) as client:
        booked = client.post(
            "/bookings",
            headers=headers(sample, garcia, "audit-book") | sent,
            json={"session_id": str(sample.single_seat_session), "child_id": str(child)},
        )
        ok(booked, 201)
        unnamed = client.post(
            f"/bookings/{booked.json()['booking_id']}/cancel",
            headers=headers(sample, garcia, "audit-cancel") | {"X-Request-ID": "two words"},
            json={"reason": "schedule_conflict"},
        )
        ok(unnamed)
    with wired.database(sample.tenant_id) as uow:
        entries = every_entry(uow, AuditQuery(request_id="req-audit-1"))
        assert {e.entity_type for e in entries} >= {"booking", "credit_balance"}
        for entry in entries:
            assert entry.request is not None
            assert (entry.request.ip_address, entry.request.user_agent) == (
                "198.51.100.4",
                "family-app/3.1 (iOS 18)",
            )
            assert entry.actor == f"user:{garcia.user_id}"
        by_address = every_entry(uow, AuditQuery(ip_address="198.51.100.4"))
        later = [e for e in by_address if e.request and e.request.request_id != "req-audit-1"]
        assert later, "the cancellation is audited too"
        assert {e.request.request_id for e in later if e.request} != {None}
        assert all(
            re.fullmatch("[0-9a-f]{32}", str(e.request.request_id)) for e in later if e.request
        )
