"""Public newsletter pages: the list, one newsletter's page, signup, confirmation, unsubscribe, preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from masthead.newsletters import actions, selectors, tokens
from masthead.newsletters.actions import PreferenceError
from masthead.newsletters.models import Newsletter, Signup

# Signups by email: per client address, refused with 429; per email address, silently dropped (the page must not
# tell a stranger anything about the address).
SIGNUPS_PER_CLIENT_PER_HOUR = 10
CONFIRMATIONS_PER_ADDRESS_PER_HOUR = 3
# Test sends link here: the page explains, and unsubscribes nobody.
TEST_TOKEN = "test"  # noqa: S105 - not a secret


def _never_cached(response):
    add_never_cache_headers(response)
    return response


@require_GET
def newsletter_list(request):
    newsletters = list(selectors.active_newsletters())
    return render(request, "newsletters/list.html", {"newsletters": newsletters})


@require_GET
def newsletter_page(request, slug: str):
    newsletter = get_object_or_404(Newsletter, slug=slug, active=True)
    return render(request, "newsletters/newsletter.html", {"newsletter": newsletter})


def _over_limit(key: str, limit: int) -> bool:
    """Count one more under ``key`` this hour; True once more than ``limit`` were counted."""
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        return False


# No CSRF: pages that carry this form are cached and shared by every anonymous reader, so they hold no token.
# Forging it gains nothing: the address is only signed up once its owner clicks the link mailed to it.
@csrf_exempt
@require_POST
def signup(request):
    """Double opt-in by email. The answer is the same whether or not the address is known or subscribed."""
    email = request.POST.get("email", "").strip()
    try:
        validate_email(email)
        if len(email) > Signup._meta.get_field("email").max_length:
            raise ValidationError("too long")
    except ValidationError:
        response = render(request, "newsletters/signup_invalid.html", {"email": email}, status=400)
        return _never_cached(response)
    client = request.META.get("REMOTE_ADDR", "")
    if _over_limit(f"newsletters:signup:client:{client}", SIGNUPS_PER_CLIENT_PER_HOUR):
        return _never_cached(render(request, "newsletters/too_many.html", status=429))
    slugs = request.POST.getlist("newsletter")
    chosen = list(selectors.active_newsletters().filter(slug__in=slugs))
    if chosen and not _over_limit(f"newsletters:signup:address:{email.lower()}", CONFIRMATIONS_PER_ADDRESS_PER_HOUR):
        source = "page" if request.POST.get("source") == "page" else "box"
        actions.signup_request(email=email, newsletters=chosen, source=source)
    return redirect("newsletters:check_inbox")


@require_GET
def check_inbox(request):
    return _never_cached(render(request, "newsletters/check_inbox.html", {"hours": settings.NEWSLETTER_CONFIRM_HOURS}))


@login_required
@require_POST
def subscribe(request):
    """One click for a signed-in reader with a verified address (otherwise, a confirmation email)."""
    slugs = request.POST.getlist("newsletter")
    chosen = list(selectors.active_newsletters().filter(slug__in=slugs))
    if not selectors.has_verified_email(request.user):
        actions.signup_request(email=request.user.email, newsletters=chosen, source="box")
        return redirect("newsletters:check_inbox")
    names = []
    for newsletter in chosen:
        try:
            actions.reader_subscribe(reader=request.user, newsletter=newsletter, source="box")
        except PreferenceError as refused:
            messages.error(request, f"{newsletter.name}: {refused.reason}.")
        else:
            names.append(newsletter.name)
    if names:
        messages.success(request, f"Subscribed to {', '.join(names)}.")
    return redirect(_safe_next(request))


def _safe_next(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/account/#newsletters"


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a button (a mail scanner that follows links confirms nothing); POST confirms."""
    try:
        tokens.read_confirm_token(token)
    except tokens.BadToken as bad:
        response = render(request, "newsletters/confirm_bad.html", {"expired": bad.expired}, status=400)
        return _never_cached(response)
    if request.method == "GET":
        return _never_cached(render(request, "newsletters/confirm.html", {"token": token}))
    signups = actions.signup_confirm(token=token)
    confirmed = [s.newsletter for s in signups if s.status == Signup.Status.CONFIRMED]
    return _never_cached(render(request, "newsletters/confirmed.html", {"newsletters": confirmed}))


# RFC 8058: mail clients POST ``List-Unsubscribe=One-Click`` to this URL with no cookies and no CSRF token. A GET
# never unsubscribes: scanners and link previews fetch URLs in mail.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if token == TEST_TOKEN:
        return _never_cached(render(request, "newsletters/unsubscribe_test.html"))
    try:
        signup_id = tokens.read_unsubscribe_token(token)
    except tokens.BadToken:
        return _never_cached(render(request, "newsletters/unsubscribe_bad.html", status=400))
    signup = Signup.objects.select_related("newsletter").filter(pk=signup_id).first()
    if signup is None:
        # Deleted with its account: nothing is sent to it any more, which is what the reader wants.
        if request.method == "POST" and _one_click(request):
            return HttpResponse("Unsubscribed.\n", content_type="text/plain")
        return _never_cached(render(request, "newsletters/unsubscribed.html", {"newsletter": None}))
    if request.method == "GET":
        context = {"signup": signup, "newsletter": signup.newsletter, "token": token}
        return _never_cached(render(request, "newsletters/unsubscribe.html", context))
    actions.signup_unsubscribe(signup=signup, source="one-click" if _one_click(request) else "page")
    if _one_click(request):
        return HttpResponse("Unsubscribed.\n", content_type="text/plain")
    return _never_cached(render(request, "newsletters/unsubscribed.html", {"newsletter": signup.newsletter}))


def _one_click(request) -> bool:
    return request.POST.get("List-Unsubscribe") == "One-Click"


@login_required
@require_POST
def preferences(request):
    """The account page's form: exactly the ticked newsletters, through the same action as the API."""
    wanted = {slug for slug in request.POST.getlist("newsletter") if slug}
    try:
        actions.newsletter_preferences_set(user=request.user, subscribed=wanted, actor=request.user)
    except PreferenceError as refused:
        messages.error(request, f"Your newsletters were not changed: {refused.reason} ({refused.slug}).")
    else:
        messages.success(request, "Your newsletters are saved.")
    return redirect("/account/#newsletters")
