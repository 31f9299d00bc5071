"""Signing in and out, signing up, passwords, email addresses and sessions, under /accounts/.

allauth's views and URL names (``account_login``, ``account_signup``,
``usersessions_list`` …) are used as they are; masthead supplies the templates.
The reader's own account page lives under /account/ (see ``account_urls``).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("allauth.urls")),
]
