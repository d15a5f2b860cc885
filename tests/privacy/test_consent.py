"""The consent contract on memory and PostgreSQL."""

from __future__ import annotations

from travelcore.testing import ConsentContract


class TestConsent(ConsentContract):
    pass
