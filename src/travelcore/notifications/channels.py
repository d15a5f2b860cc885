"""Channels that need no provider: the in-app centre (the notification itself, stored in
the repository, is what the user lists and reads)."""

from __future__ import annotations

from travelcore.notifications.model import Channel, OutgoingMessage


class InAppChannel:
    """Delivering an in-app notification makes it visible in the user's list; the
    provider id is ``in_app:<notification id>``."""

    channel = Channel.IN_APP

    def send(self, message: OutgoingMessage) -> str:
        return f"in_app:{message.notification_id}"
