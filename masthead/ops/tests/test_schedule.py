"""Periodic jobs are enqueued once per slot, however many workers tick."""

import datetime as dt
import threading

import pytest
from django_tasks_db.models import DBTaskResult

from masthead.ops import schedule
from masthead.ops.models import PeriodicRun

T0 = dt.datetime(2026, 3, 1, 12, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "every", "slot"),
    [
        (dt.datetime(1970, 1, 1, 0, 1, tzinfo=dt.UTC), dt.timedelta(minutes=1), 1),
        (dt.datetime(1970, 1, 1, 0, 1, 59, tzinfo=dt.UTC), dt.timedelta(minutes=1), 1),
        (dt.datetime(1970, 1, 1, 0, 2, tzinfo=dt.UTC), dt.timedelta(minutes=1), 2),
        (dt.datetime(1970, 1, 2, tzinfo=dt.UTC), dt.timedelta(days=1), 1),
    ],
)
def test_it_numbers_slots_from_the_epoch(moment, every, slot):
    assert schedule.slot_for(moment, every) == slot


def test_it_enqueues_each_job_once_per_slot(db):
    jobs = schedule.discover()
    assert "masthead.content.tasks.publish_scheduled" in jobs
    first = schedule.tick(T0)
    again = schedule.tick(T0 + dt.timedelta(seconds=10))
    later = schedule.tick(T0 + dt.timedelta(minutes=1))
    assert "masthead.content.tasks.publish_scheduled" in first
    assert again == []
    assert "masthead.content.tasks.publish_scheduled" in later
    assert DBTaskResult.objects.filter(task_path="masthead.content.tasks.publish_scheduled").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_ticks_enqueue_a_slot_once():
    barrier = threading.Barrier(4)
    results = []

    def worker():
        from django.db import connections

        barrier.wait()
        try:
            results.append(schedule.tick(T0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed = [names for names in results if "masthead.content.tasks.publish_scheduled" in names]
    assert len(results) == 4
    assert len(claimed) == 1
    assert PeriodicRun.objects.filter(name="masthead.content.tasks.publish_scheduled").count() == 1
    assert DBTaskResult.objects.filter(task_path="masthead.content.tasks.publish_scheduled").count() == 1


def test_it_forgets_old_slots(db):
    schedule.tick(T0)
    schedule.tick(T0 + schedule.KEEP_RUNS + dt.timedelta(minutes=5))
    assert PeriodicRun.objects.filter(enqueued_at__lt=T0 + dt.timedelta(minutes=1)).count() == 0
