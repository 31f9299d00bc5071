"""The app API under /api/v1/, and the account page's form for revoking an app's token."""

from django.urls import URLPattern, path, re_path

from masthead.api import views
from masthead.api.api import api


def _shaped(urls):
    """The API's URL patterns, each answering an unsupported method in the API's error shape."""
    patterns, app_name, namespace = urls
    shaped = [
        URLPattern(p.pattern, views.shaped_method_not_allowed(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return shaped, app_name, namespace


urlpatterns = [
    path("api/v1/", _shaped(api.urls)),
    # Anything else under /api/ is not found, in the API's error shape rather than the website's page.
    re_path(r"^api/", views.api_not_found),
    path("account/apps/<int:token_id>/revoke/", views.app_token_revoke, name="app_token_revoke"),
]
