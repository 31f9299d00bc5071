"""Devices: an anonymous app install registers once and is metered like a browser with a cookie."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router, Status

from masthead.accounts import tokens
from masthead.api.auth import auth_rate, reader_auth, reader_rate
from masthead.api.errors import responses
from masthead.api.routers.devices_schemas import DeviceOut

router = Router(tags=["devices"])


@router.post(
    "", response=responses({201: DeviceOut}), auth=None, throttle=[reader_rate, auth_rate], summary="Register a device"
)
def device_create(request: HttpRequest, response: HttpResponse):
    """Register this app install: its token names an anonymous reader, metered like a browser's cookie.

    Call it once, on first launch, and keep the token: a new device starts a new meter window, so
    registrations are rate limited per client address as log-ins are.
    """
    patch_cache_control(response, no_store=True)  # it carries a secret
    device, secret = tokens.device_create()
    return Status(201, {"token": secret, "device_id": device.pk})


@router.delete("/current", response=responses({204: None}, 401, 403), auth=reader_auth, summary="Forget this device")
def device_delete(request: HttpRequest):
    """Revoke the device token this request carries (for an app being uninstalled or reset)."""
    if request.auth.device is None:
        from masthead.api.errors import ApiError

        raise ApiError(403, "device_required", "This needs a device token.")
    tokens.device_revoke(device=request.auth.device)
    return Status(204, None)
