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
