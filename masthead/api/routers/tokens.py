"""The signed-in reader's app tokens: list them, revoke one. Only ever the token holder's own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Router, Status

from masthead.accounts import tokens
from masthead.accounts.models import AppToken
from masthead.api.auth import account_auth
from masthead.api.errors import ApiError, responses
from masthead.api.routers.tokens_schemas import AppTokenListOut

router = Router(tags=["tokens"], auth=account_auth)


@router.get("", response=responses({200: AppTokenListOut}, 401, 403), summary="List app tokens")
def token_list(request: HttpRequest, response: HttpResponse):
    """The reader's live app tokens, newest first."""
    patch_cache_control(response, private=True, no_store=True)
    current = request.auth.app_token.pk
    rows = AppToken.objects.filter(reader=request.user, revoked_at__isnull=True).order_by("-created_at", "-pk")
    return {
        "items": [
            {
                "id": row.pk,
                "name": row.name,
                "created_at": row.created_at,
                "last_used_at": row.last_used_at,
                "current": row.pk == current,
            }
            for row in rows
        ]
    }


@router.delete("/{token_id}", response=responses({204: None}, 401, 403, 404), summary="Revoke an app token")
def token_revoke(request: HttpRequest, token_id: int):
    """Revoke one of the reader's app tokens: the device holding it is signed out at its next request."""
    if token_id >= 2**63:
        raise ApiError(404, "not_found", "Not found.")
    # Another reader's token is "not found", never "forbidden": its existence is not revealed.
    token = AppToken.objects.filter(pk=token_id, reader=request.user, revoked_at__isnull=True).first()
    if token is None:
        raise ApiError(404, "not_found", "Not found.")
    tokens.app_token_revoke(token=token, actor=request.user)
    return Status(204, None)
