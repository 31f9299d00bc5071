from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from masthead.metering import views


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("meter/readers/", views.reader_lookup, name="meter_reader_lookup")]


class LookupMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("metering.view_decisionevent")


@hooks.register("register_admin_menu_item")
def register_lookup_menu_item():
    return LookupMenuItem("Reader lookup", reverse("meter_reader_lookup"), icon_name="search", order=900)
