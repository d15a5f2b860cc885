"""The PayPal payment gateway (Orders v2, Payments v2) over ``httpx``; a stand-in server for
tests is in :mod:`travelcore_adapters.paypal.testing`."""

from travelcore_adapters.paypal.gateway import (
    LIVE_URL,
    SANDBOX_URL,
    PayPalGateway,
    decode_paypal_event,
    from_value,
    to_value,
)

__all__ = [
    "LIVE_URL",
    "SANDBOX_URL",
    "PayPalGateway",
    "decode_paypal_event",
    "from_value",
    "to_value",
]
