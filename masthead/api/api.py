"""The app API, version 1: one NinjaAPI with a router per resource, mounted at /api/v1/.

OpenAPI 3 at /api/v1/openapi.json, interactive docs at /api/v1/docs. Every
error has one shape (see ``errors``); every operation is rate limited.
"""

from __future__ import annotations

from ninja import NinjaAPI

from masthead.api import errors
from masthead.api.auth import reader_rate
from masthead.api.routers import articles, auth, devices, me, meter, newsletters, search, sections, tokens

api = NinjaAPI(
    title="masthead app API",
    version="1",
    description=(
        "The JSON API for the publication's smartphone and tablet apps: the same accounts, meter, paywall "
        "and subscriptions as the website. See docs/api.md."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[reader_rate],
)
errors.install(api)

api.add_router("/auth", auth.router)
api.add_router("/devices", devices.router)
api.add_router("/sections", sections.router)
api.add_router("/articles", articles.router)
api.add_router("/search", search.router)
api.add_router("/meter", meter.router)
api.add_router("/me", me.router)
api.add_router("/tokens", tokens.router)
api.add_router("/newsletters", newsletters.router)
