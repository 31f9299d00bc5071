"""``get_gateway()`` builds the gateway settings name, once per process, and tests can swap it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.billing.gateways import get_gateway, use_gateway
from masthead.billing.gateways.sandbox import SandboxGateway


def test_it_builds_the_sandbox_once(settings):
    settings.BILLING_GATEWAY = "sandbox"

    gateway = get_gateway()

    assert isinstance(gateway, SandboxGateway)
    assert gateway.name == "sandbox"
    assert get_gateway() is gateway


def test_it_refuses_a_gateway_it_does_not_have(settings):
    settings.BILLING_GATEWAY = "abacus"

    with pytest.raises(ImproperlyConfigured, match="abacus"):
        get_gateway()


def test_it_lets_a_test_swap_the_gateway(settings):
    settings.BILLING_GATEWAY = "sandbox"
    fake = SandboxGateway()

    previous = use_gateway(fake)
    try:
        assert get_gateway() is fake
    finally:
        use_gateway(previous)

    assert get_gateway() is not fake
