"""A user's "today": the date in the zone of the user's corporate (DOMAIN.md section 3:
billing periods and "today" are computed in the corporate's time zone)."""

from __future__ import annotations

from datetime import date, datetime

from travelcore.kernel import NotFound, UserId, zone
from travelcore.people.ports import Directory

DEFAULT_ZONE = "UTC"
"""The zone of a user without a corporate, or unknown to the people context."""


def user_zone(directory: Directory, user_id: UserId) -> str:
    """The IANA zone of ``user_id``'s corporate, else :data:`DEFAULT_ZONE`."""
    try:
        corporate_id = directory.users.get(user_id).corporate_id
        if corporate_id is None:
            return DEFAULT_ZONE
        return directory.corporates.get(corporate_id).timezone
    except NotFound:
        return DEFAULT_ZONE


def local_today(directory: Directory, user_id: UserId, now: datetime) -> date:
    """The user's date at the instant ``now``."""
    return now.astimezone(zone(user_zone(directory, user_id))).date()
