"""Decisions are logged in batches by the process's log writer; a flush writes whatever is pending."""

import datetime as dt
import time

import pytest

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
    events.stop()  # the writer's connection must not outlive the test database


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_writes_a_full_batch_on_the_log_writer(batches_of_three):
    log(3)

    deadline = time.monotonic() + 20
    while DecisionEvent.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(DecisionEvent.objects.values_list("article_id", "reason", "rules_version", "at")) == [
        (article, "within_meter", 3, AT) for article in range(3)
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_writes_what_is_buffered_when_flushed(batches_of_three):
    log(2)
    assert DecisionEvent.objects.count() == 0

    assert events.flush() == 2
    assert DecisionEvent.objects.count() == 2
