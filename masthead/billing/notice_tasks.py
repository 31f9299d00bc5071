"""The worker's half of billing mail: render and send one notice that ``notices.notify`` queued after commit."""

from __future__ import annotations

from django.tasks import task


@task()
def send_notice(
    kind: str,
    key: str,
    invoice_id: int | None = None,
    subscription_id: int | None = None,
    payment_method_id: int | None = None,
) -> str:
    """Send one billing notice; returns ``sent``, ``already_sent`` or ``no_reader`` (see ``notices.deliver``)."""
    from masthead.billing import notices

    return notices.deliver(
        kind, key, invoice_id=invoice_id, subscription_id=subscription_id, payment_method_id=payment_method_id
    )
