"""Decisions are logged in batches: a full batch is written as the request that filled it finishes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.signals import request_finished, request_started
from hypothesis import given
from hypothesis import strategies as st

from masthead.metering import events
from masthead.metering.decision import Decision, Reason
from masthead.metering.models import DecisionEvent

AT = dt.datetime(2024, 5, 15, 3, 0, tzinfo=dt.UTC)


def log(count: int) -> None:
    decision = Decision(True, Reason.WITHIN_METER, rules_version=3, used=1, limit=5, counted=True)
    for article in range(count):
        events.record_decision(decision, reader_key="c:batch", account_id=None, article_id=article, at=AT)


@pytest.fixture
def batches_of_three(settings):
    settings.METER_EVENT_BATCH = 3
    yield
    events.stop()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_full_batch_is_written_as_the_request_that_filled_it_finishes(batches_of_three):
    request_started.send(sender=None)
    log(3)
    assert DecisionEvent.objects.count() == 0  # not while the request is being served

    request_finished.send(sender=None)

    assert sorted(DecisionEvent.objects.values_list("article_id", "reason", "rules_version", "at")) == [
        (article, "within_meter", 3, AT) for article in range(3)
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_that_fills_no_batch_writes_nothing(batches_of_three):
    request_started.send(sender=None)
    log(2)
    request_finished.send(sender=None)

    assert DecisionEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_request_a_full_batch_is_written_at_once(batches_of_three):
    log(3)

    assert DecisionEvent.objects.count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_writes_what_is_buffered_when_flushed(batches_of_three):
    log(2)
    assert DecisionEvent.objects.count() == 0

    assert events.flush() == 2
    assert DecisionEvent.objects.count() == 2


# What a logged decision's time is written as, on SQLite: exactly what Django would write.
@pytest.mark.parametrize(
    "at",
    [
        AT,
        dt.datetime(2026, 11, 30, 1, 44, 43, 602654, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # not UTC: Django's way
        dt.datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/London")),
        dt.datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("UTC")),
    ],
)
def test_a_logged_time_is_written_as_django_writes_it(at):
    assert events._sqlite_utc_text(at, django_sqlite_text) == django_sqlite_text(at)


@given(st.datetimes(timezones=st.sampled_from([dt.UTC, ZoneInfo("UTC"), ZoneInfo("America/New_York")])))
def test_any_aware_time_is_written_as_django_writes_it(at):
    assert events._sqlite_utc_text(at, django_sqlite_text) == django_sqlite_text(at)


def django_sqlite_text(value: dt.datetime) -> str:
    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: it imports operations

    class UTCConnection:  # all Django's SQLite backend asks of its connection here, under USE_TZ
        timezone = dt.UTC

    return DatabaseOperations(UTCConnection()).adapt_datetimefield_value(value)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_keeps_each_decisions_time_to_the_microsecond(batches_of_three):
    times = [AT, AT.replace(microsecond=1), AT.replace(microsecond=999_999)]
    decision = Decision(True, Reason.WITHIN_METER, rules_version=3, used=1, limit=5, counted=True)
    for article, at in enumerate(times):
        events.record_decision(decision, reader_key="c:times", account_id=None, article_id=article, at=at)
    events.flush()

    assert list(DecisionEvent.objects.order_by("article_id").values_list("at", flat=True)) == times
