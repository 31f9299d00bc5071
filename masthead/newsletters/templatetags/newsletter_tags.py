"""The signup box (article pages, the front page, newsletter pages) and the account page's preferences form."""

from __future__ import annotations

import itertools

from django import template
from django.template.loader import render_to_string

register = template.Library()

_ids = itertools.count(1)


@register.simple_tag(takes_context=True)
def signup_box(context, only=None):
    """The box: an email form for anonymous readers (double opt-in), one click for signed-in readers.

    An anonymous reader is offered only the newsletters open to everyone; a signed-in reader also those their
    subscription entitles them to, less the ones they already receive. ``only`` limits it to one newsletter.
    """
    from masthead.newsletters import rules, selectors

    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    if signed_in:
        entitled = selectors.is_entitled(user)
        receiving = {
            pk for pk, signup in selectors.reader_signups(user).items() if signup.status == signup.Status.CONFIRMED
        }
        newsletters = [
            n
            for n in selectors.active_newsletters()
            if rules.may_receive(n.audience, entitled=entitled) and n.pk not in receiving
        ]
    else:
        newsletters = selectors.public_newsletters()
    only = only or None  # an unset template variable arrives as ""
    if only is not None:
        newsletters = [n for n in newsletters if n.pk == only.pk]
    box = {
        "id": next(_ids),
        "newsletters": newsletters,
        "single": only is not None,
        "signed_in": signed_in,
        "email": user.email if signed_in else "",
        "next": request.get_full_path() if request else "/",
    }
    return render_to_string("newsletters/signup_box_form.html", {"box": box}, request=request)


@register.simple_tag(takes_context=True)
def account_preferences(context):
    """The signed-in reader's newsletters as a form of checkboxes, saved through ``newsletter_preferences_set``."""
    from masthead.newsletters import selectors

    request = context["request"]
    user = request.user
    data = {
        "preferences": selectors.reader_preferences(user),
        "email": user.email,
        "verified": selectors.has_verified_email(user),
    }
    return render_to_string("newsletters/account_preferences_form.html", data, request=request)
