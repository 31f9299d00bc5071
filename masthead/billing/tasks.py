import datetime as dt

from django.tasks import task

from masthead.ops.schedule import periodic


@task()
def handle_provider_event(pk: int) -> bool:
    from masthead.billing import inbox

    return inbox.process(pk)


@periodic(every=dt.timedelta(minutes=5))
@task()
def retry_provider_events() -> int:
    """Handle events whose first handling failed or was never enqueued (a crash between commit and enqueue)."""
    from masthead.billing import inbox

    return sum(inbox.process(pk) for pk in inbox.pending())


@periodic(every=dt.timedelta(minutes=5))
@task()
def renew_subscriptions() -> int:
    """Renew every subscription whose period has ended (or end it, when it was set to cancel)."""
    from masthead.billing import lifecycle

    return lifecycle.renewals_run()


@periodic(every=dt.timedelta(minutes=15))
@task()
def retry_renewals() -> int:
    """Charge again the past-due renewals whose retry (``BILLING_RETRY_DAYS``) is due."""
    from masthead.billing import lifecycle

    return lifecycle.retries_run()


@periodic(every=dt.timedelta(hours=1))
@task()
def send_reminders() -> int:
    """Mail the offer-ending and annual-renewal reminders that are due, once each."""
    from masthead.billing import lifecycle

    return lifecycle.reminders_run()


@periodic(every=dt.timedelta(hours=24))
@task()
def reconcile_with_gateway() -> bool:
    """Once a day, with a gateway that runs subscriptions itself (Stripe), re-read the ones that may have drifted."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.BILLING_GATEWAY != "stripe":
        return False
    call_command("billing", "reconcile")
    return True
