"""Billing in the admin: plans and offers (editable), subscriptions, invoices and the ledger (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.views.generic.models import EditView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button

from masthead.billing import actions
from masthead.billing.models import Invoice, LedgerEntry, Offer, Plan, Subscription
from masthead.lib.money import format_money


class PlanForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        plan = self.instance
        if plan.pk and plan.subscriptions.exists():
            saved = Plan.objects.get(pk=plan.pk)
            # Compared by value: changed_data counts a field with a callable default as changed.
            changed = [
                name
                for name in Plan.PRICE_FIELDS
                if name in cleaned and str(cleaned[name]).upper() != str(getattr(saved, name)).upper()
            ]
            if changed:
                raise forms.ValidationError(
                    "This plan has subscribers, so its price and billing interval cannot change: they keep what "
                    "they signed up for. Use “New price” on the plans list to start a new version of the plan."
                )
        return cleaned


class OfferForm(WagtailAdminModelForm):
    segments = forms.MultipleChoiceField(
        choices=[
            ("anonymous", "Anonymous readers"),
            ("registered", "Registered readers without a subscription"),
            ("former_subscriber", "Former subscribers"),
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text="Who may redeem the offer. Subscribers and readers whose payment failed never see offers.",
    )

    def clean(self):
        cleaned = super().clean()
        offer = self.instance
        if offer.pk and offer.redemptions.exists():
            terms = ["plan", "kind", "intro_amount", "intro_periods", "bundle_amount", "bundle_months"]
            terms += ["trial_days", "percent_off", "amount_off", "discount_periods"]
            if any(name in self.changed_data for name in terms):
                raise forms.ValidationError(
                    "Readers have redeemed this offer, so its terms cannot change. End it and create a new offer."
                )
        return cleaned


class PlanViewSet(ModelViewSet):
    model = Plan
    icon = "tag"
    menu_label = "Plans"
    add_to_admin_menu = False
    form_fields = ["name", "code", "description", "amount", "currency", "interval", "interval_count", "active"]
    list_display = ["name", "code", "version", "amount", "currency", "interval", "active"]
    list_filter = ["active"]
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        self.form_class = PlanForm
        return super().get_form_class(for_update)


class OfferViewSet(ModelViewSet):
    model = Offer
    icon = "pick"
    menu_label = "Offers"
    add_to_admin_menu = False
    list_display = ["headline", "code", "plan", "kind", "channel", "starts_at", "ends_at", "active"]
    list_filter = ["active", "kind", "channel"]
    panels = [
        MultiFieldPanel([FieldPanel("headline"), FieldPanel("description"), FieldPanel("code")], heading="Offer"),
        MultiFieldPanel(
            [
                FieldPanel("plan"),
                FieldPanel("kind"),
                FieldRowPanel([FieldPanel("intro_amount"), FieldPanel("intro_periods")]),
                FieldRowPanel([FieldPanel("bundle_amount"), FieldPanel("bundle_months")]),
                FieldPanel("trial_days"),
                FieldRowPanel([FieldPanel("percent_off"), FieldPanel("amount_off"), FieldPanel("discount_periods")]),
            ],
            heading="Terms",
            help_text="Fill in the fields of the chosen kind; the others are ignored.",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                FieldPanel("segments"),
                FieldRowPanel([FieldPanel("channel"), FieldPanel("public_code")]),
                FieldPanel("active"),
                FieldPanel("position"),
            ],
            heading="Who, where and when",
        ),
    ]

    def get_form_class(self, for_update=False):
        self.form_class = OfferForm
        return super().get_form_class(for_update)


# The staff actions on a subscription: (url name, label), each a small form view below.
STAFF_ACTIONS = (
    ("billing_subscription_cancel", "Cancel now, with a refund"),
    ("billing_subscription_comp", "Give free months"),
    ("billing_subscription_change_plan", "Change plan at renewal"),
)


def _staff_buttons(subscription) -> list:
    if subscription.status == Subscription.Status.CANCELED:
        return []
    return [
        Button(label, url=reverse(name, args=[subscription.pk]), priority=30 + n)
        for n, (name, label) in enumerate(STAFF_ACTIONS)
    ]


class SubscriptionInspectView(InspectView):
    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *_staff_buttons(self.object)]


class SubscriptionEditView(EditView):
    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *_staff_buttons(self.object)]


class SubscriptionViewSet(ModelViewSet):
    model = Subscription
    # Written on every renewal: tracking their references would queue one task per row saved.
    add_to_reference_index = False
    inspect_view_class = SubscriptionInspectView
    edit_view_class = SubscriptionEditView
    icon = "user"
    menu_label = "Subscriptions"
    add_to_admin_menu = False
    list_display = ["reader", "plan", "status", "current_period_end", "cancel_at_period_end", "staff_flag"]
    list_filter = ["status"]
    search_fields = ["reader__email"]
    inspect_view_enabled = True
    create_view_enabled = False
    # Lifecycle changes go through the staff actions (header buttons), never through editing the row.
    form_fields = []


class InvoiceViewSet(ModelViewSet):
    model = Invoice
    # Written on every renewal: tracking their references would queue one task per row saved.
    add_to_reference_index = False
    icon = "doc-full"
    menu_label = "Invoices"
    add_to_admin_menu = False
    list_display = ["number", "billed_to", "status", "total", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["number", "billed_to"]
    inspect_view_enabled = True
    create_view_enabled = False
    form_fields = ["status"]


class LedgerViewSet(ModelViewSet):
    model = LedgerEntry
    # Written on every renewal: tracking their references would queue one task per row saved.
    add_to_reference_index = False
    icon = "list-ul"
    menu_label = "Ledger"
    add_to_admin_menu = False
    list_display = ["created_at", "kind", "reader", "amount", "currency", "actor_label"]
    list_filter = ["kind"]
    inspect_view_enabled = True
    create_view_enabled = False
    form_fields = []


class BillingGroup(ModelViewSetGroup):
    menu_label = "Billing"
    menu_icon = "tag"
    menu_order = 250
    items = (PlanViewSet, OfferViewSet, SubscriptionViewSet, InvoiceViewSet, LedgerViewSet)


@hooks.register("register_admin_viewset")
def register_billing():
    return BillingGroup()


class RepriceForm(forms.Form):
    amount = forms.IntegerField(min_value=0, label="New price, in cents", help_text="1500 is 15.00.")


def reprice(request, pk: int):
    """Start a new version of a plan at a new price; its subscribers keep the old one."""
    if not request.user.has_perm("billing.add_plan"):
        raise PermissionDenied
    plan = get_object_or_404(Plan, pk=pk)
    form = RepriceForm(request.POST or None, initial={"amount": plan.amount})
    if request.method == "POST" and form.is_valid():
        new = actions.plan_reprice(plan=plan, amount=form.cleaned_data["amount"], actor=request.user)
        return redirect(reverse("plan:edit", args=[new.pk]))
    return render(request, "billing/admin/reprice.html", {"plan": plan, "form": form})


class CancelForm(forms.Form):
    REFUND_CHOICES = [
        ("none", "No refund"),
        ("full", "Refund what is left of this period's payment"),
        ("partial", "Refund part"),
    ]
    refund = forms.ChoiceField(choices=REFUND_CHOICES, widget=forms.RadioSelect, initial="none")
    amount = forms.IntegerField(
        min_value=1, required=False, label="Partial refund, in cents", help_text="For a partial refund: 500 is 5.00."
    )

    def __init__(self, *args, refundable: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable

    def clean(self):
        cleaned = super().clean()
        refund = cleaned.get("refund")
        if refund == "partial" and not cleaned.get("amount"):
            self.add_error("amount", "Enter the amount to refund, in cents.")
        elif refund == "partial" and cleaned["amount"] > self.refundable:
            self.add_error("amount", f"At most {self.refundable} cents can be refunded.")
        return cleaned

    def refund_amount(self) -> int:
        return {"none": 0, "full": self.refundable}.get(self.cleaned_data["refund"], self.cleaned_data.get("amount"))


class CompForm(forms.Form):
    months = forms.IntegerField(min_value=1, max_value=36, initial=1, label="Free months")


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label="New plan", empty_label=None)

    def __init__(self, *args, current: Plan | None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = Plan.objects.filter(active=True)
        self.fields["plan"].queryset = plans.exclude(code=current.code) if current else plans


def _staff_action(request, pk: int, *, title: str, form, run, explanation: str):
    """The shape of every staff action: a form, the action on POST, back to the subscription."""
    subscription = get_object_or_404(Subscription.objects.select_related("reader", "plan"), pk=pk)
    if not request.user.has_perm("billing.change_subscription"):
        raise PermissionDenied
    form = form(subscription)
    if request.method == "POST" and form.is_valid():
        try:
            done = run(subscription, form)
        except actions.BillingRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, done)
            return redirect(reverse("subscription:inspect", args=[subscription.pk]))
    context = {"subscription": subscription, "form": form, "title": title, "explanation": explanation}
    return render(request, "billing/admin/subscription_action.html", context)


def subscription_cancel(request, pk: int):
    def run(subscription, form):
        amount = form.refund_amount()
        actions.subscription_cancel(
            subscription=subscription, at_period_end=False, actor=request.user, refund_amount=amount
        )
        if not amount:
            return "Cancelled, with no refund."
        return f"Cancelled, with {format_money(amount, subscription.plan.currency)} refunded."

    return _staff_action(
        request,
        pk,
        title="Cancel now",
        form=lambda s: CancelForm(request.POST or None, refundable=actions.refundable(s)),
        run=run,
        explanation="Access ends now and the subscription is never charged again. An unpaid renewal is voided. "
        "A refund goes back to the card that paid for the current period.",
    )


def subscription_comp(request, pk: int):
    def run(subscription, form):
        months = form.cleaned_data["months"]
        actions.subscription_comp(subscription=subscription, months=months, actor=request.user)
        return f"{months} free month(s) given."

    return _staff_action(
        request,
        pk,
        title="Give free months",
        form=lambda s: CompForm(request.POST or None),
        run=run,
        explanation="The free months follow the paid period (or start now, when a renewal is unpaid, which is "
        "forgiven). The subscription then renews at its plan's regular price; an introductory offer ends.",
    )


def subscription_change_plan(request, pk: int):
    def run(subscription, form):
        plan = form.cleaned_data["plan"]
        actions.subscription_plan_change(subscription=subscription, plan=plan, actor=request.user)
        return f"The subscription moves to {plan} at its next renewal."

    return _staff_action(
        request,
        pk,
        title="Change plan at renewal",
        form=lambda s: ChangePlanForm(request.POST or None, current=s.plan),
        run=run,
        explanation="The current period is kept as paid. From the next renewal the new plan's regular price is "
        "charged, with periods counted from that renewal.",
    )


@hooks.register("register_admin_urls")
def register_reprice_url():
    return [
        path("billing/plans/<int:pk>/reprice/", reprice, name="billing_plan_reprice"),
        path("billing/subscriptions/<int:pk>/cancel/", subscription_cancel, name="billing_subscription_cancel"),
        path("billing/subscriptions/<int:pk>/comp/", subscription_comp, name="billing_subscription_comp"),
        path(
            "billing/subscriptions/<int:pk>/change-plan/",
            subscription_change_plan,
            name="billing_subscription_change_plan",
        ),
    ]
