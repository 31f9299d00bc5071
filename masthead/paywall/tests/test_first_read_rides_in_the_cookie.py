"""A new reader's first read rides in their signed cookie: no store row until they come back, and nothing given away."""

from __future__ import annotations

import contextlib
import datetime as dt

import time_machine
from django.http import HttpRequest

from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.metering import policy
from masthead.metering.identity import COOKIE, RequestReader
from masthead.metering.models import DecisionEvent
from masthead.metering.rules import Segment
from masthead.metering.stores import get_store
from masthead.metering.windows import window_for
from masthead.paywall.tests.conftest import read_all

NOV_20 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
DEC_2 = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def cookie_of(client) -> RequestReader:
    request = HttpRequest()
    request.COOKIES[COOKIE] = client.cookies[COOKIE].value
    return RequestReader(request)


@contextlib.contextmanager
def counted_consumes():
    """The store's consume calls made meanwhile, whichever store the run uses."""
    store_class = type(get_store())
    consume = store_class.consume
    calls = []

    def counting(self, *args, **kwargs):
        calls.append(args)
        return consume(self, *args, **kwargs)

    store_class.consume = counting
    try:
        yield calls
    finally:
        store_class.consume = consume


def walled(client, page) -> bool:
    return "paywall-prompt" in client.get(page.url).content.decode()


def stored_reads(reader: RequestReader, at: dt.datetime | None = None) -> set[int]:
    """What the meter store holds for this browser in the anonymous window at ``at`` (now by default)."""
    now = at or clock.now()
    window = window_for(policy.current_rules().allowance(Segment.ANONYMOUS), now, publication_zone())
    return set(get_store().peek(f"c:{reader.cookie_id}", window, now))


def test_a_first_visit_leaves_no_row_and_names_its_read_in_the_cookie(visitor, story):
    assert not walled(visitor, story.page)

    reader = cookie_of(visitor)
    assert reader.cookie_id
    assert reader.first_read is not None
    assert reader.first_read.article_id == story.page.pk
    assert stored_reads(reader) == set()
    # The decision itself is logged as any other.
    assert DecisionEvent.objects.get().reader_key == f"c:{reader.cookie_id}"


def test_the_second_view_stores_both_reads_and_sets_the_bare_id_again(visitor, story, other_stories):
    visitor.get(story.url)
    first = cookie_of(visitor)

    visitor.get(other_stories[0].url)

    again = cookie_of(visitor)
    assert again.cookie_id == first.cookie_id
    assert again.first_read is None
    assert stored_reads(again) == {story.page.pk, other_stories[0].pk}
    visitor.get(other_stories[1].url)
    assert DecisionEvent.objects.order_by("-id").first().used == 3  # the third read: both before it were kept


def test_rereading_the_first_story_is_free_and_it_counts_once(visitor, story, other_stories):
    visitor.get(story.url)
    assert not walled(visitor, story.page)  # the second view: a re-read
    read_all(visitor, other_stories[:4])  # five in all, the anonymous limit

    assert walled(visitor, other_stories[4])
    assert not walled(visitor, story.page)
    assert stored_reads(cookie_of(visitor)) == {story.page.pk, *(page.pk for page in other_stories[:4])}


def test_replaying_the_first_cookie_gives_no_article_back(visitor, story, other_stories):
    visitor.get(story.url)
    first_cookie = visitor.cookies[COOKIE].value
    read_all(visitor, other_stories[:4])
    assert walled(visitor, other_stories[4])

    visitor.cookies[COOKIE] = first_cookie

    assert walled(visitor, other_stories[5])
    assert not walled(visitor, story.page)


def test_a_forged_first_read_is_refused_with_the_cookie(visitor, story, other_stories):
    visitor.get(story.url)
    value, stamp, signature = visitor.cookies[COOKIE].value.rsplit(":", 2)
    reader_id, window_key, _ = value.split(".")
    visitor.cookies[COOKIE] = f"{reader_id}.{window_key}.{other_stories[0].pk}:{stamp}:{signature}"

    assert cookie_of(visitor).cookie_id is None


def test_a_first_read_from_last_month_is_dropped_not_counted(visitor, story, other_stories):
    with time_machine.travel(NOV_20, tick=False):
        visitor.get(story.url)
    with time_machine.travel(DEC_2, tick=False):
        visitor.get(other_stories[0].url)

        reader = cookie_of(visitor)
        assert reader.first_read is None
        assert stored_reads(reader) == {other_stories[0].pk}
    assert stored_reads(reader, at=NOV_20) == set()


def test_logging_in_carries_the_first_read_into_the_account(client, reader, story, other_stories):
    client.get(story.url)
    client.force_login(reader)

    # The account holds the browser's one read: nine more reach the registered limit of ten.
    read_all(client, other_stories[:9])
    assert walled(client, other_stories[9])
    assert not walled(client, story.page)


def test_a_reread_this_process_has_seen_counted_never_asks_the_store(visitor, story, other_stories):
    visitor.get(story.url)
    visitor.get(other_stories[0].url)  # writes both reads

    with counted_consumes() as consumes:
        assert not walled(visitor, other_stories[0])

    assert consumes == []
    last = DecisionEvent.objects.order_by("-id").first()
    assert (last.reason, last.used) == ("already_read", 2)
