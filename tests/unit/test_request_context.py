"""The request an actor makes: checked field by field, bounded, and no part of who acts."""

from __future__ import annotations

import ipaddress

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.audit import AuditAction, audit_entries
from travelcore.kernel import (
    Actor,
    Change,
    RequestContext,
    Role,
    TenantId,
    UserId,
    ValidationFailed,
    new_uuid,
)
from travelcore.kernel.request import MAX_USER_AGENT
from travelcore.testing.audit import T0

FIELDS = ("ip_address", "user_agent", "request_id", "session_id")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("ip_address", "256.0.0.1", "ip_address"),
        ("ip_address", "10.0.0.0/8", "ip_address"),
        ("ip_address", "fe80::1%eth0", "ip_address"),
        ("ip_address", 3232235521, "string"),
        ("user_agent", "x" * (MAX_USER_AGENT + 1), f"max_length_{MAX_USER_AGENT}"),
        ("user_agent", "curl\n/8", "printable"),
        ("user_agent", " ", "non_empty"),
        ("request_id", "a b", "visible_ascii"),
        ("request_id", "r" * 256, "max_length_255"),
        ("session_id", "séance", "visible_ascii"),
        ("session_id", "a\x00b", "no_nul"),
    ],
)
def test_a_bad_field_is_refused_by_name_and_rule(field: str, value: object, rule: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        RequestContext(**{field: value})  # type: ignore[arg-type]
    assert (error.value.field, error.value.rule) == (field, rule)


@given(st.ip_addresses())
def test_an_address_is_kept_in_its_canonical_spelling(address: ipaddress._BaseAddress) -> None:
    spelled = address.exploded.upper()
    assert RequestContext(ip_address=spelled).ip_address == str(address)


@given(fields=st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.none(), st.text(max_size=600))))
def test_any_text_makes_a_context_or_a_validation_error_naming_its_field(
    fields: dict[str, str | None],
) -> None:
    refused = None
    try:
        request = RequestContext(**fields)
    except ValidationFailed as error:
        refused = error.field
    if refused is None:
        assert attrs.asdict(request).keys() == set(FIELDS)
    else:
        assert refused in fields


@given(
    fields=st.dictionaries(
        st.sampled_from(FIELDS), st.one_of(st.none(), st.text(max_size=2 * MAX_USER_AGENT))
    )
)
def test_what_a_client_sends_is_kept_bounded_or_left_out(fields: dict[str, str | None]) -> None:
    request = RequestContext.of_client(**fields)
    assert request.user_agent is None or 0 < len(request.user_agent) <= MAX_USER_AGENT
    for name in ("request_id", "session_id"):
        assert getattr(request, name) in (None, fields.get(name))


def test_a_client_user_agent_is_cut_and_a_bad_address_left_out() -> None:
    request = RequestContext.of_client(
        ip_address="testclient", user_agent="a\tb" + "c" * 600, request_id="r 1"
    )
    assert request.user_agent == "a b" + "c" * (MAX_USER_AGENT - 3)
    assert (request.ip_address, request.request_id) == (None, None)


def test_the_request_is_no_part_of_who_acts_and_reaches_the_audit_entry() -> None:
    tenant = TenantId(new_uuid())
    actor = Actor(tenant_id=tenant, role=Role.PARENT, user_id=UserId(new_uuid()))
    request = RequestContext(ip_address="192.0.2.7", request_id="req-1")
    bound = attrs.evolve(actor, request=request)
    assert bound == actor
    assert hash(bound) == hash(actor)
    change = Change(entity_type="note", key=(tenant, 1), before=None, after={"text": "hi"})
    [entry] = audit_entries(tenant, [change], bound, T0)
    assert (entry.action, entry.request) == (AuditAction.CREATE, request)
    [anonymous] = audit_entries(tenant, [change], actor, T0)
    assert anonymous.request is None


def test_an_actor_refuses_a_request_that_is_not_a_context() -> None:
    with pytest.raises(ValidationFailed) as error:
        Actor(tenant_id=TenantId(new_uuid()), role=Role.SYSTEM, job="j", request="1.2.3.4")  # type: ignore[arg-type]
    assert error.value.field == "request"
