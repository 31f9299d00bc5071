from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from masthead.billing.sandbox import views


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path("sandbox-gateway/", views.overview, name="sandbox_overview"),
        path("sandbox-gateway/<slug:kind>/", views.overview, name="sandbox_overview_list"),
    ]


class SandboxMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("sandbox.view_sandboxcharge")


@hooks.register("register_settings_menu_item")
def register_sandbox_menu_item():
    return SandboxMenuItem("Sandbox gateway", reverse("sandbox_overview"), icon_name="form", order=950)
