"""The app API under /api/v1/, and the account page's form for revoking an app's token."""

from django.urls import path, re_path

from masthead.api import views
from masthead.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    # Anything else under /api/ is not found, in the API's error shape rather than the website's page.
    re_path(r"^api/", views.api_not_found),
    path("account/apps/<int:token_id>/revoke/", views.app_token_revoke, name="app_token_revoke"),
]
