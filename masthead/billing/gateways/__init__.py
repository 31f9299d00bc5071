"""Payment gateways: one contract (``base.Gateway``), one implementation per processor, chosen by settings.

``get_gateway()`` returns the processor named by ``settings.BILLING_GATEWAY``,
built once per process. Tests may swap it with ``use_gateway()``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from masthead.billing.gateways.base import Gateway

_built: dict[str, Gateway] = {}
_override: Gateway | None = None


def get_gateway() -> Gateway:
    """The gateway this process charges through; the ``use_gateway()`` override when one is set."""
    if _override is not None:
        return _override
    name = settings.BILLING_GATEWAY
    if name not in _built:
        _built[name] = _build(name)
    return _built[name]


def _build(name: str) -> Gateway:
    # Imported here, not at module level: the sandbox gateway imports its app's
    # models, which must not load while Django is still populating apps.
    if name == "sandbox":
        from masthead.billing.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "stripe":
        from masthead.billing.gateways.stripe import StripeGateway

        return StripeGateway(api_key=settings.STRIPE_SECRET_KEY, api_base=settings.STRIPE_API_BASE)
    raise ImproperlyConfigured(f"BILLING_GATEWAY names no gateway masthead has: {name!r}")


def use_gateway(gateway: Gateway | None) -> Gateway | None:
    """Make ``get_gateway()`` return ``gateway`` (None: go back to settings); returns the previous override."""
    global _override
    previous, _override = _override, gateway
    return previous
