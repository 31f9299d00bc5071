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
