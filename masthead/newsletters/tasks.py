"""The worker's half of newsletters: confirmation mail, preparing and sending issues, digests, recovery."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from masthead.ops.schedule import periodic


@task()
def send_confirmation(email: str, signup_ids: list[int]) -> bool:
    """Mail the double opt-in link for ``signup_ids`` to ``email``; returns False when none is pending any more."""
    from masthead.newsletters import confirmation

    return confirmation.send(email=email, signup_ids=signup_ids)


@task()
def prepare_issue(issue_id: int) -> int:
    """Write an issue's deliveries, then queue one job per batch; returns how many batches were queued."""
    from masthead.newsletters import sending

    batches = sending.prepare(issue_id)
    for batch_id in batches:
        send_batch.enqueue(batch_id=batch_id)
    return len(batches)


@task()
def send_batch(batch_id: int) -> int:
    """Send one batch over one connection; returns how many messages went (0 when another worker has it)."""
    from masthead.newsletters import sending

    result = sending.send_batch(batch_id)
    return result.sent if result else 0


@periodic(every=dt.timedelta(minutes=1))
@task()
def send_due_issues() -> int:
    """Prepare every issue whose time has come (and any a dead worker left half prepared)."""
    from masthead.lib import clock
    from masthead.newsletters import sending

    queued = 0
    for issue_id in sending.due_issues(clock.now()):
        queued += prepare_issue.call(issue_id=issue_id)
    return queued


@periodic(every=dt.timedelta(minutes=5))
@task()
def resume_batches() -> int:
    """Queue again the batches nobody is sending (released after a transport failure, or a dead worker's), and
    mark sent the issues a dead worker left with every batch done."""
    from masthead.lib import clock
    from masthead.newsletters import sending

    sending.finish_stalled(now=clock.now())
    batches = sending.claimable_batches(clock.now(), stalled=True)
    for batch_id in batches:
        send_batch.enqueue(batch_id=batch_id)
    return len(batches)


@periodic(every=dt.timedelta(minutes=1))
@task()
def run_digests() -> int:
    """Make and schedule the automatic digests that are due."""
    from masthead.newsletters import actions

    return len(actions.digests_run())
