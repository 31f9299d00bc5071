"""A deleted account leaves nothing in the meter: no window and no decision log under its key."""

from masthead.accounts.tests.conftest import PASSWORD, log_in
from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.metering import policy
from masthead.metering.models import DecisionEvent
from masthead.metering.rules import Segment
from masthead.metering.stores import get_store
from masthead.metering.windows import window_for


def test_it_forgets_the_accounts_meter_window_and_decisions(
    client, verified_reader, newsroom, django_capture_on_commit_callbacks
):
    story = newsroom.by_access("metered")
    key = f"a:{verified_reader.pk}"
    window = window_for(policy.current_rules().allowance(Segment.REGISTERED), clock.now(), publication_zone())
    log_in(client, verified_reader.email)
    assert client.get(story.url).status_code == 200
    assert get_store().peek(key, window, clock.now()) == {story.pk}
    assert DecisionEvent.objects.filter(reader_key=key).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/delete/", {"password": PASSWORD})

    assert get_store().peek(key, window, clock.now()) == frozenset()
    assert not DecisionEvent.objects.filter(reader_key=key).exists()
