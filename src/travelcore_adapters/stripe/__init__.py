"""The Stripe payment gateway, on the official ``stripe`` SDK."""

from travelcore_adapters.stripe.gateway import StripeGateway, from_minor_units, to_minor_units

__all__ = ["StripeGateway", "from_minor_units", "to_minor_units"]
