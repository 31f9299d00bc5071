"""An editor schedules a story; the worker publishes it when its time comes."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from masthead.content.models import ArticlePage
from masthead.content.tests import factories
from masthead.lib import clock


# The worker manages its own connections and transactions, as it does in production,
# so the test cannot wrap it in one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_publishes_a_scheduled_story_when_the_worker_runs_after_go_live(newsroom, visitor):
    story = factories.article(newsroom.politics, title="Embargoed until dawn", live=False)
    go_live = clock.now() + dt.timedelta(hours=2)
    story.go_live_at = go_live
    story.save_revision().publish()
    story.refresh_from_db()
    assert not story.live
    assert visitor.get("/politics/").content.decode().count("Embargoed until dawn") == 0

    with time_machine.travel(go_live - dt.timedelta(minutes=5), tick=False):
        call_command("worker", batch=True, verbosity=0)
    assert not ArticlePage.objects.get(pk=story.pk).live

    with time_machine.travel(go_live + dt.timedelta(minutes=1), tick=False):
        call_command("worker", batch=True, verbosity=0)
    assert ArticlePage.objects.get(pk=story.pk).live
    assert "Embargoed until dawn" in visitor.get("/politics/").content.decode()
