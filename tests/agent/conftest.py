"""The agent runs its payments on localstripe: the payment suite's server fixtures."""

from tests.payments.conftest import localstripe_url, stripe_card, stripe_client, stripe_gateway

__all__ = ["localstripe_url", "stripe_card", "stripe_client", "stripe_gateway"]
