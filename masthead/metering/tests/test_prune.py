"""Meter storage stays bounded: expired windows and old decision logs are pruned."""

import datetime as dt

from django.core.management import call_command

from masthead.metering.models import DecisionEvent, MeterWindow
from masthead.metering.stores.database import DatabaseMeterStore
from masthead.metering.tests.conftest import NOW, month


def test_masthead_prune_removes_only_what_has_expired(db, settings, capsys, time_machine):
    settings.METER_STORE = "database"
    settings.METER_EVENT_RETENTION_DAYS = 30
    store = DatabaseMeterStore()
    last_month = month(NOW - dt.timedelta(days=40))
    store.consume("c:old", last_month, 1, 5, NOW - dt.timedelta(days=40))
    store.consume("c:new", month(NOW), 1, 5, NOW)
    for days in (45, 5):
        DecisionEvent.objects.create(
            reader_key="c:new", article_id=1, allowed=True, reason="within_meter", rules_version=0,
            at=NOW - dt.timedelta(days=days),
        )  # fmt: skip
    time_machine.move_to(NOW, tick=False)
    from masthead.metering.stores import get_store

    get_store.cache_clear()
    call_command("prune")
    assert list(MeterWindow.objects.values_list("reader_key", flat=True)) == ["c:new"]
    assert DecisionEvent.objects.count() == 1
    assert "pruned 1 meter windows and 1 decision logs" in capsys.readouterr().out


def test_pruning_finds_old_decisions_through_the_reader_index_in_chunks(db, settings, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.metering import actions

    settings.METER_EVENT_RETENTION_DAYS = 30
    monkeypatch.setattr(actions, "PRUNE_CHUNK", 2)
    for days, key in ((45, "c:old"), (5, "c:recent"), (50, "a:9"), (31, "d:device"), (90, "c:older")):
        DecisionEvent.objects.create(
            reader_key=key, article_id=1, allowed=True, reason="within_meter", rules_version=0,
            at=NOW - dt.timedelta(days=days),
        )  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        pruned = actions.meter_prune(now=NOW)

    assert pruned.events == 4
    assert list(DecisionEvent.objects.values_list("reader_key", flat=True)) == ["c:recent"]
    finds = [q["sql"] for q in queries.captured_queries if '"reader_bucket" IN' in q["sql"]]
    assert len(finds) == 3  # two chunks of two, then none left
    if connection.vendor == "sqlite":  # no index on time alone: the reader index, bucket by bucket
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {finds[0]}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "decision_by_reader_bucket" in plan
