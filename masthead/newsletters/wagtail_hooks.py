"""Newsletters in the admin: the lists, composing issues (preview, test send, schedule, send now, delivery
figures), signups and the suppression list."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views.generic.models import DeleteView, EditView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button

from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.newsletters import actions, compose, selectors
from masthead.newsletters.models import Issue, Newsletter, Signup, Suppression

CHANGE_ISSUE = "newsletters.change_issue"


class NewsletterForm(WagtailAdminModelForm):
    def save(self, commit=True):
        newsletter = super().save(commit=False)
        if {"digest_enabled", "digest_time", "digest_weekdays"} & set(self.changed_data):
            # The worker works out the next due time again, from the new schedule.
            newsletter.digest_next_at = None
        if commit:
            newsletter.save()
            self.save_m2m()
        return newsletter


class NewsletterDeleteView(DeleteView):
    def dispatch(self, request, *args, **kwargs):
        newsletter = get_object_or_404(Newsletter, pk=kwargs.get("pk"))
        if Issue.objects.filter(newsletter=newsletter).exists():
            # Its issues (and their delivery figures) must stay: the database refuses, so say so first.
            messages.error(request, "This newsletter has issues, so it cannot be deleted: make it inactive instead.")
            return redirect(reverse("newsletter:edit", args=[newsletter.pk]))
        return super().dispatch(request, *args, **kwargs)


class NewsletterViewSet(ModelViewSet):
    model = Newsletter
    name = "newsletter"
    url_prefix = "newsletters/lists"
    icon = "mail"
    menu_label = "Newsletters"
    add_to_admin_menu = False
    list_display = ["name", "slug", "audience", "cadence", "digest_enabled", "active"]
    list_filter = ["audience", "active", "digest_enabled"]
    inspect_view_enabled = True
    edit_handler = ObjectList(Newsletter.panels, base_form_class=NewsletterForm)
    delete_view_class = NewsletterDeleteView


def _issue_buttons(issue: Issue) -> list:
    buttons = [Button("Preview", url=reverse("newsletters_issue_preview", args=[issue.pk]), priority=30)]
    if issue.editable:
        buttons += [
            Button("Send a test to me", url=reverse("newsletters_issue_test", args=[issue.pk]), priority=31),
            Button("Schedule or send", url=reverse("newsletters_issue_schedule", args=[issue.pk]), priority=32),
        ]
    return buttons


class IssueInspectView(InspectView):
    template_name = "newsletters/admin/issue_inspect.html"

    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *_issue_buttons(self.object)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stats"] = selectors.issue_stats(self.object)
        context["stories"] = compose.issue_articles(self.object)
        return context


class IssueEditView(EditView):
    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *_issue_buttons(self.object)]

    def dispatch(self, request, *args, **kwargs):
        issue = get_object_or_404(Issue, pk=kwargs.get("pk"))
        if not issue.editable:
            messages.warning(request, "This issue has been sent (or is being sent), so it can no longer change.")
            return redirect(reverse("newsletter_issue:inspect", args=[issue.pk]))
        return super().dispatch(request, *args, **kwargs)


class IssueDeleteView(DeleteView):
    def dispatch(self, request, *args, **kwargs):
        issue = get_object_or_404(Issue, pk=kwargs.get("pk"))
        if not issue.editable:
            # Its deliveries are the record of who got it (and what a resumed send must skip): they stay.
            messages.error(request, "This issue has been sent (or is being sent), so it cannot be deleted.")
            return redirect(reverse("newsletter_issue:inspect", args=[issue.pk]))
        return super().dispatch(request, *args, **kwargs)


class IssueViewSet(ModelViewSet):
    model = Issue
    name = "newsletter_issue"
    url_prefix = "newsletters/issues"
    icon = "doc-full-inverse"
    menu_label = "Issues"
    add_to_admin_menu = False
    inspect_view_class = IssueInspectView
    edit_view_class = IssueEditView
    delete_view_class = IssueDeleteView
    inspect_view_enabled = True
    list_display = ["subject", "newsletter", "kind", "status", "send_at", "finished_at"]
    list_filter = ["newsletter", "status", "kind"]
    search_fields = ["subject"]


class SignupViewSet(ModelViewSet):
    model = Signup
    name = "newsletter_signup"
    url_prefix = "newsletters/signups"
    icon = "user"
    menu_label = "Signups"
    add_to_admin_menu = False
    list_display = ["email", "newsletter", "status", "source", "created_at", "confirmed_at"]
    list_filter = ["newsletter", "status"]
    search_fields = ["email"]
    inspect_view_enabled = True
    create_view_enabled = False
    # Readers change their own signups (links in mail, the account page); staff only look.
    form_fields = []


class SuppressionViewSet(ModelViewSet):
    model = Suppression
    name = "newsletter_suppression"
    url_prefix = "newsletters/suppressions"
    icon = "warning"
    menu_label = "Suppressed addresses"
    add_to_admin_menu = False
    list_display = ["email", "reason", "provider", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


class SuppressionForm(WagtailAdminModelForm):
    def clean_email(self):
        # Lower-cased before the uniqueness check, so a known address in other capitals is refused as a duplicate
        # on the form instead of failing on save.
        return (self.cleaned_data.get("email") or "").strip().lower()

    def save(self, commit=True):
        suppression = super().save(commit=False)
        suppression.email = suppression.email.strip().lower()
        if suppression.created_at is None:
            suppression.created_at = clock.now()
        if commit:
            suppression.save()
        return suppression


SuppressionViewSet.edit_handler = ObjectList(
    [FieldPanel("email"), FieldPanel("reason"), FieldPanel("detail")], base_form_class=SuppressionForm
)


class NewslettersGroup(ModelViewSetGroup):
    menu_label = "Newsletters"
    menu_icon = "mail"
    menu_order = 240
    items = (IssueViewSet, NewsletterViewSet, SignupViewSet, SuppressionViewSet)


@hooks.register("register_admin_viewset")
def register_newsletters():
    return NewslettersGroup()


# --- Issue actions ---------------------------------------------------------------------------------------


def _issue(request, pk: int) -> Issue:
    if not request.user.has_perm(CHANGE_ISSUE):
        raise PermissionDenied
    return get_object_or_404(Issue.objects.select_related("newsletter"), pk=pk)


def issue_preview(request, pk: int):
    """The issue's HTML as a reader's mail program would show it (the sent copy once sending has started)."""
    issue = _issue(request, pk)
    html = issue.html_body or compose.render_issue(issue).html
    html = html.replace(compose.UNSUBSCRIBE_PLACEHOLDER, compose.absolute("/newsletters/unsubscribe/test/"))
    response = HttpResponse(html)
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def issue_test(request, pk: int):
    """GET asks; POST sends the issue, as it stands, to the editor's own address."""
    issue = _issue(request, pk)
    if request.method == "POST":
        try:
            actions.issue_send_test(issue=issue, to=request.user.email, actor=request.user)
        except Exception as exc:  # the transport's error, shown to the editor rather than a 500 page
            messages.error(request, f"The test could not be sent: {exc}")
        else:
            messages.success(request, f"A test was sent to {request.user.email}.")
        return redirect(reverse("newsletter_issue:inspect", args=[issue.pk]))
    return render(request, "newsletters/admin/issue_test.html", {"issue": issue})


class ScheduleForm(forms.Form):
    when = forms.ChoiceField(
        choices=[("now", "Send now"), ("later", "Send at the time below")], widget=forms.RadioSelect, initial="now"
    )
    at = forms.DateTimeField(
        required=False,
        label="Send at (the publication's time zone)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "later":
            at = cleaned.get("at")
            if at is None:
                self.add_error("at", "Give the date and time to send it.")
            else:
                # The browser sends wall-clock time; read it in the publication's zone.
                local = at.replace(tzinfo=None).replace(tzinfo=publication_zone())
                cleaned["at"] = local.astimezone(dt.UTC)
                if cleaned["at"] <= clock.now():
                    self.add_error("at", "That time has passed: choose a later one, or send now.")
        return cleaned


def issue_schedule(request, pk: int):
    issue = _issue(request, pk)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and request.POST.get("unschedule"):
        try:
            actions.issue_unschedule(issue=issue, actor=request.user)
        except actions.IssueRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "The issue is a draft again.")
        return redirect(reverse("newsletter_issue:inspect", args=[issue.pk]))
    if request.method == "POST" and form.is_valid():
        at = form.cleaned_data["at"] if form.cleaned_data["when"] == "later" else None
        try:
            actions.issue_schedule(issue=issue, at=at, actor=request.user)
        except actions.IssueRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Sending now." if at is None else "The issue is scheduled.")
            return redirect(reverse("newsletter_issue:inspect", args=[issue.pk]))
    context = {"issue": issue, "form": form, "audience": _audience_size(issue)}
    return render(request, "newsletters/admin/issue_schedule.html", context)


def _audience_size(issue: Issue) -> int:
    return Signup.objects.filter(newsletter=issue.newsletter, status=Signup.Status.CONFIRMED).count()


@hooks.register("register_admin_urls")
def register_issue_urls():
    return [
        path("newsletters/issues/<int:pk>/preview/", issue_preview, name="newsletters_issue_preview"),
        path("newsletters/issues/<int:pk>/test/", issue_test, name="newsletters_issue_test"),
        path("newsletters/issues/<int:pk>/schedule/", issue_schedule, name="newsletters_issue_schedule"),
    ]
