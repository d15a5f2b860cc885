"""A memory channel for sms, whatsapp or push (or email): it keeps what it was given, and
can be switched off to stand for a provider outage."""

from __future__ import annotations

import threading

from travelcore.notifications import Channel, DeliveryFailed, OutgoingMessage


class MemoryNotifier:
    def __init__(self, channel: Channel) -> None:
        self.channel = Channel(channel)
        self.sent: list[OutgoingMessage] = []
        self.available = True
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        with self._lock:
            if not self.available:
                raise DeliveryFailed(f"{self.channel} provider unavailable")
            self.sent.append(message)
            return f"{self.channel}:{len(self.sent)}"
