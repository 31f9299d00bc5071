from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve as serve_file
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.urls import serve_pattern

from masthead.content import views as content_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    # Uploaded images. On one machine masthead serves them itself; a proxy or CDN in
    # front may take this path over (see docs/operations.md).
    re_path(
        r"^media/(?P<path>.+)$",
        cache_control(public=True, max_age=86400)(serve_file),
        {"document_root": settings.MEDIA_ROOT},
    ),
    path("accounts/", include("masthead.accounts.urls")),
    path("account/", include("masthead.accounts.account_urls")),
    path("", include("masthead.api.urls")),
    path("", include("masthead.billing.urls")),
    path("", include("masthead.newsletters.urls")),
    path("", include("masthead.content.urls")),
    # Wagtail's page tree serves everything else (the front page, sections, articles),
    # through a route cache in front of Wagtail's own serve view.
    re_path(serve_pattern, content_views.serve_page, name="page"),
    path("", include(wagtail_urls)),
]
