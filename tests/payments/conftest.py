"""A localstripe server for the session, and the official SDK pointed at it; the PayPal
stand-in server and the PayPal adapter pointed at it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stripe

from travelcore.kernel import ManualClock
from travelcore_adapters.paypal import PayPalGateway
from travelcore_adapters.paypal.testing import PayPalStandIn
from travelcore_adapters.stripe import StripeGateway

API_KEY = "sk_test_travelcore"
WEBHOOK_SECRET = "whsec_travelcore_tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``localstripe --port P`` on 127.0.0.1; a server that does not come up fails."""
    binary = shutil.which("localstripe") or str(Path(sys.executable).with_name("localstripe"))
    port = _free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "server.log").open("wb")
    # --from-scratch: never load /tmp/localstripe.pickle, which every localstripe on the
    # machine shares (and rewrites on each change).
    command = [binary, "--port", str(port), "--from-scratch"]
    process = subprocess.Popen(command, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/v1/customers", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers (401 without a key)
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def stripe_client(localstripe_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
    )


def _card(client: stripe.StripeClient, number: str) -> Callable[[], str]:
    def make() -> str:
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
            }
        )
        return method.id

    return make


@pytest.fixture(scope="session")
def stripe_card(stripe_client: stripe.StripeClient) -> Callable[[], str]:
    return _card(stripe_client, "4242424242424242")


@pytest.fixture(scope="session")
def stripe_declined_card(stripe_client: stripe.StripeClient) -> Callable[[], str]:
    return _card(stripe_client, "4000000000000341")


@pytest.fixture(scope="session")
def stripe_gateway(localstripe_url: str) -> StripeGateway:
    return StripeGateway(API_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url)


@pytest.fixture(scope="session")
def paypal_standin() -> Iterator[PayPalStandIn]:
    """The PayPal stand-in server (``travelcore_adapters.paypal.testing``) on 127.0.0.1."""
    with PayPalStandIn() as standin:
        yield standin


@pytest.fixture
def paypal_gateway(paypal_standin: PayPalStandIn, clock: ManualClock) -> Iterator[PayPalGateway]:
    gateway = PayPalGateway(
        paypal_standin.client_id,
        paypal_standin.client_secret,
        webhook_id=paypal_standin.webhook_id,
        base_url=paypal_standin.url,
        clock=clock,
    )
    yield gateway
    gateway.close()
