"""Conditional GETs for listings: a strong ETag over the response body, and 304 when it still matches."""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags


def conditional_json(request: HttpRequest, payload) -> HttpResponse:
    """``payload`` (a schema instance) as JSON with its ETag; a bodiless 304 when If-None-Match names it.

    The ETag hashes the exact bytes, so it changes whenever anything shown
    changes (a publish, a correction, a new rendition) and never otherwise.
    Listings are the same for every reader: a shared cache may keep them, but
    must revalidate.
    """
    body = json.dumps(payload.model_dump(mode="json"), cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in wanted or "*" in wanted or f"W/{etag}" in wanted:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, no_cache=True)
    return response
