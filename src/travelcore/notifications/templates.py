"""The templates travelcore ships (English, every type, every channel), used when a tenant
has not saved its own for a key, channel and language."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from travelcore.kernel import TenantId
from travelcore.notifications.model import Channel, NotificationType, Template

_BUILTIN_TENANT = TenantId(UUID(int=0))
_T0 = datetime(2026, 1, 1, tzinfo=UTC)

_TEXTS: dict[NotificationType, tuple[str, str]] = {
    NotificationType.BOOKING_CONFIRMED: (
        "Booked: {{ activity_name }} for {{ child_name }}",
        "Hi {{ recipient_name }}, {{ child_name }} is booked on {{ activity_name }} at "
        "{{ venue_name }}, {{ starts_at }}. Confirmation code {{ confirmation_code }}.",
    ),
    NotificationType.BOOKING_CANCELLED_VENUE: (
        "Cancelled by the venue: {{ activity_name }}",
        "Hi {{ recipient_name }}, {{ venue_name }} cancelled {{ activity_name }} on "
        "{{ starts_at }}. {{ credits }} credits are back in your balance.",
    ),
    NotificationType.BOOKING_REMINDER: (
        "Reminder: {{ activity_name }} {{ when }}",
        "Hi {{ recipient_name }}, {{ child_name }} has {{ activity_name }} at {{ venue_name }} "
        "{{ when }} ({{ starts_at }}).",
    ),
    NotificationType.WAITLIST_SPOT: (
        "A seat is free: {{ activity_name }}",
        "Hi {{ recipient_name }}, a seat on {{ activity_name }} ({{ starts_at }}) is held for "
        "{{ child_name }} until {{ deadline }}. Accept it before then.",
    ),
    NotificationType.OFFER_EXPIRED: (
        "Offer expired: {{ activity_name }}",
        "Hi {{ recipient_name }}, the seat held for {{ child_name }} on {{ activity_name }} "
        "was not accepted in time and went to the next family.",
    ),
    NotificationType.FEEDBACK_REQUEST: (
        "How was {{ activity_name }}?",
        "Hi {{ recipient_name }}, tell us how {{ child_name }} liked {{ activity_name }} at "
        "{{ venue_name }}.",
    ),
    NotificationType.CREDITS_EXPIRING: (
        "{{ credits }} credits expire {{ expires_at }}",
        "Hi {{ recipient_name }}, {{ credits }} unused credits expire {{ expires_at }}. "
        "Book an activity before then.",
    ),
    NotificationType.MONTHLY_SUGGESTIONS: (
        "New ideas for {{ child_name }}",
        "Hi {{ recipient_name }}, we picked activities {{ child_name }} may like this month.",
    ),
    NotificationType.NEW_ACTIVITIES: (
        "New activities near you",
        "Hi {{ recipient_name }}, new activities were added near you.",
    ),
    NotificationType.TRIP_REMINDER: (
        "Trip reminder",
        "Hi {{ recipient_name }}, {{ message }}",
    ),
    NotificationType.SYSTEM_ANNOUNCEMENT: (
        "{{ subject }}",
        "{{ message }}",
    ),
}


def _variables(*sources: str) -> tuple[str, ...]:
    names: set[str] = set()
    for source in sources:
        for piece in source.split("{{")[1:]:
            names.add(piece.split("}}")[0].strip())
    return tuple(sorted(names))


def _builtin(kind: NotificationType, channel: Channel) -> Template:
    title, body = _TEXTS[kind]
    html = f"<p>{body}</p>" if channel is Channel.EMAIL else None
    return Template(
        tenant_id=_BUILTIN_TENANT,
        key=kind.value,
        channel=channel,
        language="en",
        name=f"{kind.value} ({channel.value}, built in)",
        title=title,
        body=body,
        html=html,
        variables=_variables(title, body),
        category="builtin",
        created_at=_T0,
    )


BUILTIN_TEMPLATES: dict[tuple[str, Channel], Template] = {
    (kind.value, channel): _builtin(kind, channel) for kind in _TEXTS for channel in Channel
}
"""Key x channel -> the English template used when the tenant has none."""
