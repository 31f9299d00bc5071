"""A subscribers-only newsletter reaches only readers entitled when it is sent."""

import pytest

from masthead.billing.models import Subscription
from masthead.newsletters.models import Delivery
from masthead.newsletters.tests.conftest import confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


def test_it_sends_only_to_entitled_readers(smtp, newsroom, reader, subscriber, django_user_model):
    insider = make_newsletter(slug="insider", audience="subscribers")
    lapsed = django_user_model.objects.create_user(email="lapsed@example.com", password="x")
    Subscription.objects.create(reader=lapsed, status=Subscription.Status.CANCELED)
    for user in (reader, subscriber, lapsed):
        confirmed(insider, user.email, reader=user)
    confirmed(insider, "no-account@example.com")  # an address with no account is never entitled

    send_now(make_issue(insider, newsroom.articles[:1]))

    assert smtp.recipients() == ["subscriber@example.com"]
    assert list(Delivery.objects.values_list("email", flat=True)) == ["subscriber@example.com"]


def test_it_sends_an_everyone_newsletter_to_all(smtp, newsroom, reader, subscriber):
    briefing = make_newsletter(slug="briefing")
    for user in (reader, subscriber):
        confirmed(briefing, user.email, reader=user)
    send_now(make_issue(briefing, newsroom.articles[:1]))
    assert sorted(smtp.recipients()) == ["reader@example.com", "subscriber@example.com"]


def test_it_leaves_out_a_reader_whose_subscription_ended_before_their_batch(smtp, newsroom, subscriber):
    import datetime as dt

    from masthead.lib import clock
    from masthead.newsletters import actions, sending

    insider = make_newsletter(slug="insider", audience="subscribers")
    confirmed(insider, subscriber.email, reader=subscriber)
    issue = make_issue(insider, newsroom.articles[:1])
    actions.issue_schedule(issue=issue, at=None, actor=None)
    sending.prepare(issue.pk)
    long_ago = clock.now() - dt.timedelta(days=90)  # ended, and past any grace period
    Subscription.objects.filter(reader=subscriber).update(status=Subscription.Status.CANCELED, paid_through=long_ago)

    sending.drain(issue_id=issue.pk)

    assert smtp.recipients() == []
    assert Delivery.objects.get().status == Delivery.Status.SUPPRESSED
