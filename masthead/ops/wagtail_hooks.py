"""The ops app in the Wagtail admin: the Mailbox page, shown while outgoing mail is kept there."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from masthead.ops import mailbox, views


@hooks.register("register_admin_urls")
def register_mailbox_urls():
    return [
        path("mailbox/", views.mailbox_index, name="ops_mailbox"),
        path("mailbox/<int:pk>/", views.mailbox_message, name="ops_mailbox_message"),
    ]


class MailboxMenuItem(MenuItem):
    def is_shown(self, request):
        return mailbox.is_active() and request.user.has_perm(views.VIEW_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_mailbox_menu_item():
    return MailboxMenuItem("Mailbox", reverse("ops_mailbox"), icon_name="mail", order=900)
