"""The reader's account page, data export and deletion, under /account/."""

from django.urls import path

from masthead.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("export.json", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
]
