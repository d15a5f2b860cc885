"""What the host knows about the request an actor makes: the client's address, its user agent,
the request id that correlates application logs, and the sign-in session. The host passes it
on the actor (``Actor(..., request=RequestContext(...))``); the audit log records it with
every change the request makes.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import attrs

from travelcore.kernel import validation as v
from travelcore.kernel.errors import ValidationFailed

MAX_USER_AGENT = 512
"""A longer user agent is refused; :meth:`RequestContext.of_client` cuts it to this."""
MAX_REQUEST_ID = 255
MAX_SESSION_ID = 255


def _ip_address(value: Any, field: str) -> None:
    if not isinstance(value, str):
        raise ValidationFailed(field, "string", f"{field} must be a string")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValidationFailed(field, "ip_address", f"{field} must be an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise ValidationFailed(field, "ip_address", f"{field} must not carry a zone")


def _token(max_length: int) -> v.Check:
    """Visible ASCII without spaces, as request and session ids are."""
    bounded = v.text(max_length)

    def check(value: Any, field: str) -> None:
        bounded(value, field)
        if not all("!" <= ch <= "~" for ch in value):
            raise ValidationFailed(field, "visible_ascii", f"{field} must be visible ASCII")

    return check


def _printable(value: Any, field: str) -> None:
    v.text(MAX_USER_AGENT)(value, field)
    if not value.isprintable():
        raise ValidationFailed(field, "printable", f"{field} must be printable")


def normal_ip(value: Any) -> Any:
    """The address in its canonical spelling (what PostgreSQL's ``inet`` gives back)."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value  # refused by the check


REQUEST_CHECKS: dict[str, v.Check] = {
    "ip_address": v.optional(_ip_address),
    "user_agent": v.optional(_printable),
    "request_id": v.optional(_token(MAX_REQUEST_ID)),
    "session_id": v.optional(_token(MAX_SESSION_ID)),
}


@attrs.frozen(kw_only=True)
class RequestContext:
    """Every field is optional; a bad one raises ``ValidationFailed`` naming it."""

    ip_address: str | None = attrs.field(default=None, converter=normal_ip)
    user_agent: str | None = None
    request_id: str | None = None
    session_id: str | None = None

    def __attrs_post_init__(self) -> None:
        v.check_all(attrs.asdict(self), REQUEST_CHECKS)

    @classmethod
    def of_client(
        cls,
        *,
        ip_address: str | None = None,
        user_agent: str | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
    ) -> RequestContext:
        """What a client sent, as a web host reads it (headers are the client's to choose):
        the user agent with unprintable characters as spaces and cut to
        :data:`MAX_USER_AGENT` characters; a field that is still not valid is left out."""
        printable = "".join(ch if ch.isprintable() else " " for ch in user_agent or "")
        given = {
            "ip_address": normal_ip(ip_address),
            "user_agent": printable.strip()[:MAX_USER_AGENT] or None,
            "request_id": request_id,
            "session_id": session_id,
        }
        return cls(
            **{name: _or_none(REQUEST_CHECKS[name], value, name) for name, value in given.items()}
        )


def _or_none(check: v.Check, value: Any, field: str) -> Any:
    try:
        check(value, field)
    except ValidationFailed:
        return None
    return value
