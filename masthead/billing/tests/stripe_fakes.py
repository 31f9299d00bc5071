"""Stripe for tests: localstripe on loopback, recorded responses at the HTTP seam, and signed webhooks.

``localstripe_url`` (session fixture) starts localstripe in a subprocess on a
free loopback port and stops it at the end. When localstripe is not installed
the tests that need it skip, unless ``MASTHEAD_REQUIRE_STRIPE=1`` (CI), when
they fail.

localstripe emulates Stripe's objects but not two of its guarantees, which
``StripeRules`` (the HTTP client the gateway is given) adds back at the seam:
idempotency keys (a repeated key replays the first response; the same key with
other parameters is refused) and PaymentIntent descriptions (which it rejects).
It also checks that every POST carries the caller's key, not one stripe-python
made up.

localstripe has no Checkout, prices or billing portal, so ``RecordedStripe``
answers those from JSON files in ``fixtures/stripe/``, in the shape of Stripe's
API reference, and keeps every request for the test to read.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
TEST_KEY = "sk_test_masthead"

# Serves localstripe's app on loopback only (its own entry point listens on every interface), and keeps its
# store in memory (its own writes a pickle to /tmp after every change, shared by every run on the machine).
SERVER = """
import sys, warnings
warnings.simplefilter("ignore")
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.Store.dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("MASTHEAD_REQUIRE_STRIPE") == "1":
        pytest.fail(f"MASTHEAD_REQUIRE_STRIPE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    request = urllib.request.Request(f"{url}/v1/balance", headers={"Authorization": f"Bearer {TEST_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def localstripe_url():
    """The address of a localstripe serving this test session, or a skip (a failure under MASTHEAD_REQUIRE_STRIPE=1)."""
    if importlib.util.find_spec("localstripe") is None:
        _unavailable("localstripe is not installed; ./dev setup installs it with the test extras")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 20
            while not _answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    _unavailable(f"localstripe did not start on {url}: {log.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- idempotency and the caller's keys, at the HTTP seam ------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
IDEMPOTENCY_ERROR = {
    "error": {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with.",
    }
}


class StripeRules(stripe.RequestsClient):
    """stripe-python's own transport, plus what Stripe guarantees and localstripe does not.

    Stripe keeps the response to a keyed POST once the request started running
    (successes and card declines alike) and replays it for the same key; a key
    reused with other parameters is an ``idempotency_error``. Requests refused
    before running (400, 404) are not kept.
    """

    def __init__(self):
        super().__init__(timeout=10)
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[str, str, tuple]] = {}
        self.posts: list[tuple[str, str]] = []  # (path, idempotency key), for tests to read

    def request(self, method, url, headers, post_data=None):
        if method.lower() != "post":
            return super().request(method, url, headers, post_data)
        key = (headers or {}).get("Idempotency-Key", "")
        if not key or UUID.fullmatch(key):
            raise AssertionError(f"POST {url} without the caller's idempotency key")
        path = urlsplit(url).path
        post_data = _without_unsupported(path, post_data or "")
        with self._lock:  # one keyed request at a time, as Stripe locks a key while it runs
            self.posts.append((path, key))
            if key in self._kept:
                first_url, first_data, response = self._kept[key]
                if (first_url, first_data) != (url, post_data):
                    return json.dumps(IDEMPOTENCY_ERROR).encode(), 400, {}
                return response
            response = super().request(method, url, headers, post_data)
            if response[1] < 400 or response[1] == 402:
                self._kept[key] = (url, post_data, response)
            return response


def _without_unsupported(path: str, post_data: str) -> str:
    if not path.startswith("/v1/payment_intents"):
        return post_data
    return urlencode([(k, v) for k, v in parse_qsl(post_data, keep_blank_values=True) if k != "description"])


# --- recorded responses, for what localstripe lacks ---------------------------------------------


class RecordedStripe(stripe.HTTPClient):
    """Answers each (method, path) from a recorded JSON response; records every request it is sent.

    ``routes`` maps ``"POST /v1/checkout/sessions"`` to a fixture file name, or
    to a callable taking the request's parameters and returning the body.
    """

    name = "recorded"

    def __init__(self, routes: dict[str, Any]):
        super().__init__()
        self.routes = routes
        self.requests: list[dict[str, Any]] = []

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        route = f"{method.upper()} {parts.path}"
        params = dict(parse_qsl(post_data or parts.query, keep_blank_values=True))
        self.requests.append({"route": route, "params": params, "headers": dict(headers or {})})
        if method.lower() == "post" and UUID.fullmatch((headers or {}).get("Idempotency-Key", "")):
            raise AssertionError(f"{route} without the caller's idempotency key")
        if route not in self.routes:
            raise AssertionError(f"no recorded response for {route}")
        answer = self.routes[route]
        body = answer(params) if callable(answer) else recorded(answer)
        status = body.pop("_status", 200) if isinstance(body, dict) else 200
        return json.dumps(body).encode(), status, {"Request-Id": "req_recorded"}

    def close(self):
        pass

    def sent(self, route: str) -> list[dict[str, str]]:
        """The parameters of every request sent to ``route``, in order."""
        return [request["params"] for request in self.requests if request["route"] == route]


def recorded(name: str) -> dict[str, Any]:
    """A recorded response or event payload, fresh each time (tests may change it)."""
    return json.loads((FIXTURES / name).read_text())


# --- webhooks ------------------------------------------------------------------------------------------


def signature(body: str, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe would send with ``body``, computed as Stripe documents it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event(type: str, data_object: dict[str, Any], *, created: int, event_id: str = "") -> str:
    """A webhook body: a Stripe event of ``type`` about ``data_object``."""
    return json.dumps(
        {
            "id": event_id
            or f"evt_{hashlib.sha256(f'{type}{created}{data_object.get("id")}'.encode()).hexdigest()[:24]}",
            "object": "event",
            "api_version": stripe.api_version,
            "created": created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
            "data": {"object": data_object},
        }
    )


WEBHOOK_SECRET = "whsec_test_masthead"
WEBHOOK_URL = "/billing/webhooks/stripe/"
CUSTOMER = "cus_QmReader0001"  # the customer every recorded object belongs to


@pytest.fixture
def stripe_webhooks(settings):
    """Webhooks signed with ``WEBHOOK_SECRET`` are accepted."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def stripe_customer(reader):
    """Make ``reader`` the Stripe customer the recorded objects name."""
    from masthead.billing.models import Customer

    return Customer.objects.create(reader=reader, gateway="stripe", gateway_id=CUSTOMER, email=reader.email)


def deliver(client, type: str, data_object: dict, *, created: int, event_id: str = "", signed_at=None, secret=None):
    """POST a signed Stripe event to the webhook endpoint, as Stripe would; returns the response."""
    body = event(type, data_object, created=created, event_id=event_id)
    header = signature(body, secret or WEBHOOK_SECRET, int(signed_at if signed_at is not None else time.time()))
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def handle_received() -> int:
    """Handle every stored event not yet handled, in the order received (as the worker would); returns how many."""
    from masthead.billing import inbox

    pending = inbox.pending()
    for pk in pending:
        assert inbox.process(pk), f"event {pk} failed"
    return len(pending)
