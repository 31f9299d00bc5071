"""Helpers for the notice tests: subscriptions made by real checkouts, and the worker's run of the queued mail."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from masthead.billing import actions, ledger, notices, offers
from masthead.billing.models import Invoice, Payment, PaymentMethod
from masthead.billing.tests.conftest import card, new_key

TASK = "masthead.billing.notice_tasks.send_notice"


def subscribe(catalogue, reader, *, plan=None, intro=False):
    """A reader subscribed by checkout: monthly at the list price, annual, or monthly through the intro offer."""
    if intro:
        token = offers.mint_token(offer_code="intro-99", reader_key=f"a:{reader.pk}")
        return actions.checkout_submit(
            key=new_key(),
            plan=catalogue.monthly,
            offer=catalogue.intro,
            card=card(),
            reader=reader,
            token=token,
            segment="registered",
        ).subscription
    plan = plan or catalogue.monthly
    return actions.checkout_submit(key=new_key(), plan=plan, offer=None, card=card(), reader=reader).subscription


def failed_renewal(subscription) -> Invoice:
    """The next period's invoice, left open by a declined charge to a card that fails later."""
    method = actions.payment_method_add(
        customer=subscription.payment_method.customer, card=card("fails_later"), idempotency_key=new_key(), actor="t"
    )
    charge = subscription.schedule().charge(1)
    invoice = Invoice.objects.create(
        number=ledger.next_number(),
        reader=subscription.reader,
        subscription=subscription,
        currency=charge.currency,
        total=charge.amount,
        period_start=charge.period_start,
        period_end=charge.period_end,
        period_index=1,
        billed_to=subscription.reader.email,
    )
    Payment.objects.create(
        invoice=invoice,
        attempt=1,
        idempotency_key=f"invoice:{invoice.number}:attempt:1",
        amount=invoice.total,
        currency=invoice.currency,
        status=Payment.Status.FAILED,
        gateway="sandbox",
        decline_code="card_declined",
        payment_method=method,
    )
    return invoice


def new_card(subscription, kind: str = "mastercard") -> PaymentMethod:
    return actions.payment_method_add(
        customer=subscription.payment_method.customer, card=card(kind), idempotency_key=new_key(), actor="t"
    )


def notify_and_commit(capture, kind, **ids) -> None:
    """Call ``notify`` inside a transaction, as an action does, and run what it left for after commit."""
    with capture(execute=True):
        with transaction.atomic():
            notices.notify(kind, **ids)


def run_mail_jobs() -> list[str]:
    """Run the queued notice jobs as ``masthead worker`` would; returns what each one reported."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    outcomes = []
    # run_task() is the part of Worker.run() that runs one job; run() itself closes the test's connection.
    while (job := DBTaskResult.objects.ready().filter(task_path=TASK).first()) is not None:
        job.claim(worker.worker_id)
        worker.run_task(job)
        job.refresh_from_db()
        assert job.status == "SUCCESSFUL", job.traceback
        outcomes.append(job.return_value)
    return outcomes


def local_date(moment: dt.datetime) -> str:
    from masthead.lib.dates import format_newsroom_date

    return format_newsroom_date(moment)
