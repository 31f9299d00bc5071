"""Subscribe, checkout, the billing page and receipts. Thin: parse, call an action or selector, render."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from masthead.billing import actions, checkout, selectors
from masthead.billing.forms import CheckoutForm
from masthead.billing.models import Invoice
from masthead.billing.selectors import reader_standing


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return ""


@require_safe
def subscribe(request):
    """Every plan at its regular price, and a box for a public offer code."""
    next_url = _safe_next(request, request.GET.get("next", ""))
    return render(
        request,
        "billing/subscribe.html",
        {"plans": selectors.plan_cards(), "next": next_url, "code_error": request.GET.get("code_error") == "1"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def checkout_page(request):
    """One page: what is charged now and later, an account for a new reader, and the card."""
    target = checkout.resolve(request.GET)
    if target.missing:
        if target.code:
            return redirect(f"{reverse('billing:subscribe')}?code_error=1")
        raise Http404("No such plan or offer")
    next_url = _safe_next(request, request.GET.get("next", ""))
    standing = reader_standing(request.user)
    segment = str(standing.segment)
    problem = checkout.precheck(target, request=request, segment=segment)
    needs_account = not request.user.is_authenticated
    form = CheckoutForm(
        request.POST if request.method == "POST" and not problem else None,
        needs_account=needs_account,
        initial={"key": secrets.token_urlsafe(24)},
    )
    error = ""
    if standing.entitled:
        problem = problem or "You already have a subscription, so there is nothing to pay."
    elif request.method == "POST" and not problem and form.is_valid():
        try:
            outcome = actions.checkout_submit(
                key=form.cleaned_data["key"],
                plan=target.plan,
                offer=target.offer,
                card=form.card(),
                reader=request.user if request.user.is_authenticated else None,
                signup=actions.Signup(form.cleaned_data["email"], form.cleaned_data["password"])
                if needs_account
                else None,
                token=target.token,
                public_code=target.code,
                reader_keys=checkout.reader_keys(request),
                segment=segment,
            )
        except actions.BillingRefused as refused:
            error = refused.message
            # A corrected card is a new attempt: it gets a new idempotency key.
            data = request.POST.copy()
            data["key"] = secrets.token_urlsafe(24)
            form = CheckoutForm(data, needs_account=needs_account)
        else:
            if outcome.created_account:
                login(request, outcome.reader, backend="django.contrib.auth.backends.ModelBackend")
                checkout.send_verification(request, outcome.reader)
            messages.success(request, "Welcome aboard. Your subscription is active: every story is yours to read.")
            return redirect(next_url or reverse("billing:account_billing"))
    return render(
        request,
        "billing/checkout.html",
        {
            "target": target,
            "summary": checkout.summary(target),
            "problem": problem,
            "error": error,
            "form": form,
            "next": next_url,
            "regular_price_url": checkout.regular_price_url(target, next_url),
        },
        status=422 if error or (form.is_bound and form.errors) else 200,
    )


@login_required
@require_safe
def account_billing(request):
    return render(request, "billing/account_billing.html", {"billing": selectors.account_summary(request.user)})


@login_required
@require_safe
def receipt(request, number: str):
    invoice = get_object_or_404(
        Invoice.objects.select_related("subscription__plan").prefetch_related("lines", "payments__payment_method"),
        number=number,
        reader=request.user,
    )
    return render(request, "billing/receipt.html", {"invoice": invoice, "receipt": selectors.receipt_view(invoice)})
