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

from masthead.billing import actions, checkout, hosted, selectors
from masthead.billing.forms import CardUpdateForm, CheckoutForm
from masthead.billing.models import Invoice
from masthead.billing.selectors import reader_standing
from masthead.lib.dates import format_newsroom_date


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


def _checkout_terms(request, form, target, segment: str) -> dict:
    """What the checkout form and the request say, as the arguments both kinds of checkout take."""
    signed_in = request.user.is_authenticated
    return {
        "key": form.cleaned_data["key"],
        "plan": target.plan,
        "offer": target.offer,
        "reader": request.user if signed_in else None,
        "signup": None if signed_in else actions.Signup(form.cleaned_data["email"], form.cleaned_data["password"]),
        "token": target.token,
        "public_code": target.code,
        "reader_keys": checkout.reader_keys(request),
        "segment": segment,
    }


def _sign_in_new_reader(request, reader, *, created: bool) -> None:
    """An account made at checkout is signed in at once and asked to confirm its address by email."""
    if created:
        login(request, reader, backend="django.contrib.auth.backends.ModelBackend")
        checkout.send_verification(request, reader)


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
    card_on_gateway = hosted.collects_card_on_gateway()
    if card_on_gateway:
        hosted.without_card_fields(form)
    error = ""
    if standing.entitled:
        problem = problem or "You already have a subscription, so there is nothing to pay."
    elif request.method == "POST" and not problem and form.is_valid() and card_on_gateway:
        # The card is typed on the gateway's page: check, make the account, and send the reader there.
        try:
            start = hosted.checkout_hosted_start(
                success_url=request.build_absolute_uri(next_url or reverse("billing:account_billing")),
                cancel_url=request.build_absolute_uri(request.get_full_path()),
                **_checkout_terms(request, form, target, segment),
            )
        except actions.BillingRefused as refused:
            error = refused.message
        else:
            _sign_in_new_reader(request, start.reader, created=start.created_account)
            return redirect(start.url)
    elif request.method == "POST" and not problem and form.is_valid():
        try:
            outcome = actions.checkout_submit(card=form.card(), **_checkout_terms(request, form, target, segment))
        except actions.BillingRefused as refused:
            error = refused.message
            # A corrected card is a new attempt: it gets a new idempotency key.
            data = request.POST.copy()
            data["key"] = secrets.token_urlsafe(24)
            form = CheckoutForm(data, needs_account=needs_account)
        else:
            _sign_in_new_reader(request, outcome.reader, created=outcome.created_account)
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
            "card_on_gateway": card_on_gateway,
        },
        status=422 if error or (form.is_bound and form.errors) else 200,
    )


def _billing_page(request, *, card_form=None, error: str = "", status: int = 200):
    summary = selectors.account_summary(request.user)
    if card_form is None:
        card_form = CardUpdateForm(initial={"key": secrets.token_urlsafe(24)})
    context = {
        "billing": summary,
        "card_form": card_form,
        "error": error,
        "card_on_gateway": hosted.collects_card_on_gateway(),
    }
    return render(request, "billing/account_billing.html", context, status=status)


def _live_subscription(request):
    subscription = selectors.account_summary(request.user).subscription
    if subscription is None:
        raise Http404("No subscription")
    return subscription


@never_cache
@login_required
@require_safe
def account_billing(request):
    """The reader's plan, card, invoices, and what they can do: change the card, cancel, resume, pay."""
    return _billing_page(request)


@never_cache
@login_required
@require_http_methods(["POST"])
def billing_card(request):
    """A new card; an unpaid renewal is charged to it at once.

    With a gateway that takes cards on its own page (Stripe), the reader goes
    there; the gateway makes the new card the default and retries what is due.
    """
    if hosted.collects_card_on_gateway():
        return redirect(hosted.update_card_url(request, subscription=_live_subscription(request)))
    form = CardUpdateForm(request.POST)
    if not form.is_valid():
        return _billing_page(request, card_form=form, status=422)
    try:
        outcome = actions.payment_method_update(
            subscription=_live_subscription(request), card=form.card(), key=form.cleaned_data["key"], actor="reader"
        )
    except actions.BillingRefused as refused:
        data = request.POST.copy()
        data["key"] = secrets.token_urlsafe(24)  # a corrected card is a new attempt
        return _billing_page(request, card_form=CardUpdateForm(data), error=refused.message, status=422)
    if outcome.invoice is None:
        messages.success(request, "Your card is updated. We will use it for your next renewal.")
    elif outcome.paid:
        messages.success(request, "Your card is updated and your renewal is paid. Thank you: you are all set.")
    else:
        messages.error(request, f"Your card is saved, but the payment did not go through: {outcome.message}")
    return redirect("billing:account_billing")


@never_cache
@login_required
@require_http_methods(["POST"])
def billing_cancel(request):
    """Cancel at the end of the paid period; when a renewal is unpaid, there is no such period: cancel now."""
    subscription = _live_subscription(request)
    at_period_end = not subscription.renewal_pending
    try:
        actions.subscription_cancel(subscription=subscription, at_period_end=at_period_end, actor=request.user)
    except actions.BillingRefused as refused:
        messages.error(request, refused.message)
    else:
        if at_period_end:
            until = format_newsroom_date(subscription.current_period_end)
            messages.success(request, f"Your subscription is cancelled. You can keep reading until {until}.")
        else:
            messages.success(request, "Your subscription is cancelled. You will not be charged again.")
    return redirect("billing:account_billing")


@never_cache
@login_required
@require_http_methods(["POST"])
def billing_resume(request):
    try:
        actions.subscription_resume(subscription=_live_subscription(request), actor=request.user)
    except actions.BillingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Welcome back. Your subscription will renew as before.")
    return redirect("billing:account_billing")


@never_cache
@login_required
@require_http_methods(["POST"])
def billing_pay(request):
    """ "Pay now": the open invoice of an unpaid renewal, with the card on file."""
    invoice = get_object_or_404(Invoice, number=request.POST.get("invoice", ""), reader=request.user)
    try:
        outcome = actions.invoice_pay(invoice=invoice, actor=request.user)
    except actions.BillingRefused as refused:
        messages.error(request, refused.message)
    else:
        if outcome.paid:
            messages.success(request, "Thank you. Your payment went through and your subscription is active again.")
        else:
            messages.error(request, f"The payment did not go through: {outcome.message} Try another card below.")
    return redirect("billing:account_billing")


@login_required
@require_safe
def receipt(request, number: str):
    invoice = get_object_or_404(
        Invoice.objects.select_related("subscription__plan").prefetch_related("lines", "payments__payment_method"),
        number=number,
        reader=request.user,
    )
    return render(request, "billing/receipt.html", {"invoice": invoice, "receipt": selectors.receipt_view(invoice)})
