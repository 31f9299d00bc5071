"""Each billing notice reaches the reader with a subject, a text part and an HTML part that say what happened."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from masthead.billing.notices import Notice
from masthead.billing.tests.notice_support import (
    TASK,
    failed_renewal,
    local_date,
    new_card,
    notify_and_commit,
    run_mail_jobs,
    subscribe,
)
from masthead.lib import clock

pytestmark = pytest.mark.django_db

SITE = "https://news.example.com"


def receipt(catalogue, reader):
    sub = subscribe(catalogue, reader)
    invoice = sub.invoices.get()
    expected = [
        invoice.number,
        "Digital, monthly",
        "$15.00",
        "Visa ending 4242",
        local_date(invoice.period_start),
        f"{SITE}/account/invoices/{invoice.number}/",
    ]
    return {"invoice_id": invoice.pk}, f"Receipt {invoice.number}", expected


def payment_failed(catalogue, reader):
    invoice = failed_renewal(subscribe(catalogue, reader))
    return {"invoice_id": invoice.pk}, "didn't go through", [invoice.number, "$15.00", f"{SITE}/account/billing/"]


def card_updated(catalogue, reader):
    method = new_card(subscribe(catalogue, reader))
    expires = f"12/{clock.now().year + 2}"
    return {"payment_method_id": method.pk}, "card was updated", ["Mastercard ending 4444", expires]


def offer_ending(catalogue, reader):
    sub = subscribe(catalogue, reader, intro=True)
    first = sub.schedule().first_list_charge
    date = local_date(first.due)
    return {"subscription_id": sub.pk}, f"ends on {date}", ["$15.00 a month", date, "$0.99"]


def renewal_reminder(catalogue, reader):
    sub = subscribe(catalogue, reader, plan=catalogue.annual)
    date = local_date(sub.current_period_end)
    return {"subscription_id": sub.pk}, f"renews on {date}", [date, "$150.00", "Digital, annual"]


def cancellation_confirmed(catalogue, reader):
    sub = subscribe(catalogue, reader)
    sub.cancel_at_period_end = True
    sub.save()
    return {"subscription_id": sub.pk}, "is canceled", [local_date(sub.paid_through), f"{SITE}/account/billing/"]


def subscription_resumed(catalogue, reader):
    sub = subscribe(catalogue, reader)
    return {"subscription_id": sub.pk}, "continues", [local_date(sub.current_period_end), "$15.00"]


def subscription_ended(catalogue, reader):
    sub = subscribe(catalogue, reader)
    sub.status, sub.canceled_at = "canceled", clock.now() - dt.timedelta(days=1)
    sub.save()
    return {"subscription_id": sub.pk}, "has ended", [local_date(sub.canceled_at), f"{SITE}/subscribe/"]


def comp_granted(catalogue, reader):
    sub = subscribe(catalogue, reader)
    sub.paid_through = clock.now() + dt.timedelta(days=90)
    sub.save()
    return {"subscription_id": sub.pk}, "complimentary access", [local_date(sub.paid_through), f"{SITE}/"]


def plan_change_confirmed(catalogue, reader):
    sub = subscribe(catalogue, reader)
    sub.scheduled_plan = "annual"
    sub.save()
    date = local_date(sub.current_period_end)
    return {"subscription_id": sub.pk}, f"changes on {date}", ["Digital, annual", "$150.00", date]


CASES = {
    Notice.RECEIPT: receipt,
    Notice.PAYMENT_FAILED: payment_failed,
    Notice.CARD_UPDATED: card_updated,
    Notice.OFFER_ENDING: offer_ending,
    Notice.RENEWAL_REMINDER: renewal_reminder,
    Notice.CANCELLATION_CONFIRMED: cancellation_confirmed,
    Notice.SUBSCRIPTION_RESUMED: subscription_resumed,
    Notice.SUBSCRIPTION_ENDED: subscription_ended,
    Notice.COMP_GRANTED: comp_granted,
    Notice.PLAN_CHANGE_CONFIRMED: plan_change_confirmed,
}


def test_every_kind_has_a_case():
    assert set(CASES) == set(Notice)


@pytest.mark.parametrize("kind", list(Notice))
def test_it_sends_each_kind_with_both_parts(kind, catalogue, reader, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = SITE
    ids, subject, expected = CASES[kind](catalogue, reader)
    mail.outbox.clear()

    notify_and_commit(django_capture_on_commit_callbacks, kind, **ids)
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert mail.outbox == []  # the worker sends it, not the action
    assert run_mail_jobs() == ["sent"]

    [message] = mail.outbox
    assert message.to == ["reader@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject.startswith(f"{settings.PUBLICATION_NAME}: ")
    assert subject in message.subject
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    for text in expected:
        assert text in message.body, f"{text!r} missing from the text part"
        assert text in html, f"{text!r} missing from the HTML part"
    assert "&lt;" not in message.body and "&#x27;" not in message.body  # the text part is not HTML-escaped
    assert html.lstrip().startswith("<!doctype html>")
