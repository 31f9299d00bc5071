"""Billing in the admin: plans and offers (editable), subscriptions, invoices and the ledger (read-only)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from masthead.billing import actions
from masthead.billing.models import Invoice, LedgerEntry, Offer, Plan, Subscription


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


class SubscriptionViewSet(ModelViewSet):
    model = Subscription
    icon = "user"
    menu_label = "Subscriptions"
    add_to_admin_menu = False
    list_display = ["reader", "plan", "status", "current_period_end", "cancel_at_period_end"]
    list_filter = ["status"]
    search_fields = ["reader__email"]
    inspect_view_enabled = True
    create_view_enabled = False
    form_fields = ["cancel_at_period_end"]


class InvoiceViewSet(ModelViewSet):
    model = Invoice
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
        return redirect(reverse("billing_plan:edit", args=[new.pk]))
    return render(request, "billing/admin/reprice.html", {"plan": plan, "form": form})


@hooks.register("register_admin_urls")
def register_reprice_url():
    return [path("billing/plans/<int:pk>/reprice/", reprice, name="billing_plan_reprice")]
