"""Signing in from an app: an app token for email and password, or for email and an emailed log-in code.

The checks are the website's: Django's ``authenticate`` with the configured
(allauth) backends, an unverified address refused as the login form refuses it
(with a fresh confirmation email), and allauth's rate limits on failed attempts
and on requesting codes. A device token in the Authorization header ties the
new app token to that device, and folds the device's meter window into the
account, as logging in on the website folds the browser's.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router, Status

from masthead.accounts import tokens
from masthead.accounts.models import User
from masthead.api.auth import account_auth, auth_rate, presented_device, reader_rate
from masthead.api.errors import ApiError, responses
from masthead.api.routers.auth_schemas import CodeIn, CodeOut, TokenIn, TokenOut
from masthead.metering.identity import ReaderId

router = Router(tags=["auth"])

REFUSED = "The email address, password or code is not right."


@router.post(
    "/token",
    response=responses({201: TokenOut}, 401, 403),
    auth=None,
    throttle=[reader_rate, auth_rate],
    summary="Sign in: get an app token",
)
def token_create(request: HttpRequest, payload: TokenIn, response: HttpResponse):
    """Exchange email and password (or email and log-in code) for an app token named after the device.

    Send the device token as ``Authorization: Bearer mhd_…`` to carry the device's free articles into the account.
    """
    patch_cache_control(response, no_store=True)  # it may carry a secret (RFC 6749, 5.1)
    email = payload.email.strip()
    if not ratelimit.consume(request, action="login_failed", key=email.lower(), dry_run=True):
        raise ApiError(429, "rate_limited", "Too many failed attempts for this address: wait and try again.")
    reader = _check(request, email, payload)
    if reader is None:
        ratelimit.consume(request, action="login_failed", key=email.lower())
        raise ApiError(401, "invalid_credentials", REFUSED)
    if not _verified(reader):
        from allauth.account.internal.flows.email_verification import send_verification_email_for_user

        send_verification_email_for_user(request, reader)
        raise ApiError(403, "email_unverified", "Confirm your email address first: we have sent you a link to do it.")
    device = presented_device(request)
    token, secret = tokens.app_token_create(reader=reader, name=payload.device_name, device=device)
    if device is not None:
        from masthead.paywall.gate import merge_anonymous_reads

        merge_anonymous_reads(ReaderId("device", str(device.pk)), reader)
    return Status(201, {"token": secret, "id": token.pk, "name": token.name})


def _check(request: HttpRequest, email: str, payload: TokenIn) -> User | None:
    if payload.password is not None:
        reader = authenticate(request, email=email, password=payload.password)
        return reader if reader is not None and reader.is_active else None
    reader = User.objects.filter(email__iexact=email, is_active=True).first()
    if reader is None or not tokens.login_code_check(reader=reader, code=payload.code):
        return None
    # The code reached the address: that verifies it, as allauth's own log-in by code does.
    EmailAddress.objects.filter(user=reader, email__iexact=reader.email).update(verified=True)
    return reader


def _verified(reader: User) -> bool:
    return EmailAddress.objects.filter(user=reader, email__iexact=reader.email, verified=True).exists()


@router.post(
    "/code",
    response=responses({202: CodeOut}),
    auth=None,
    throttle=[reader_rate, auth_rate],
    summary="Email a log-in code",
)
def code_request(request: HttpRequest, payload: CodeIn):
    """Email a one-time log-in code to the address; then POST /auth/token with it.

    An address without an account is sent the website's "no account" message instead, as the website's own
    log-in by code does: either way one email goes out, so neither the answer nor its timing tells the two apart.
    """
    from allauth.account.adapter import get_adapter
    from allauth.account.internal.flows.signup import send_unknown_account_mail

    email = payload.email.strip()
    if not ratelimit.consume(request, action="request_login_code", key=email.lower()):
        raise ApiError(429, "rate_limited", "Too many codes asked for: wait and try again.")
    reader = User.objects.filter(email__iexact=email, is_active=True).first()
    if reader is not None:
        code = tokens.login_code_issue(reader=reader)
        get_adapter(request).send_mail("api/email/login_code", reader.email, {"code": code})
    else:
        send_unknown_account_mail(request, email)
    return Status(202, {"sent": True})


@router.delete("/token", response=responses({204: None}, 401, 403), auth=account_auth, summary="Sign out")
def token_delete(request: HttpRequest):
    """Revoke the app token this request carries."""
    tokens.app_token_revoke(token=request.auth.app_token, actor=request.user)
    return Status(204, None)
