"""Forgetting a reader removes their meter windows and their decision log, and nobody else's."""

from __future__ import annotations

import pytest

from masthead.metering import events
from masthead.metering.actions import reader_meter_forget
from masthead.metering.decision import Decision, Reason
from masthead.metering.models import DecisionEvent
from masthead.metering.stores import get_store
from masthead.metering.tests.conftest import NOW, month

pytestmark = pytest.mark.django_db

DECISION = Decision(True, Reason.WITHIN_METER, rules_version=1, used=1, limit=5, counted=True)


def log(reader_key: str, article_id: int) -> None:
    events.record_decision(DECISION, reader_key=reader_key, account_id=None, article_id=article_id, at=NOW)


def test_it_forgets_the_readers_windows_and_decisions_only(settings):
    store = get_store()
    for reader in ("a:41", "a:42"):
        store.consume(reader, month(), 7, 5, NOW)
        log(reader, 7)
        log(reader, 8)

    assert reader_meter_forget(reader_key="a:41") == 2

    assert store.peek("a:41", month(), NOW) == frozenset()
    assert not DecisionEvent.objects.filter(reader_key="a:41").exists()
    assert store.peek("a:42", month(), NOW) == {7}
    assert DecisionEvent.objects.filter(reader_key="a:42").count() == 2


def test_it_also_removes_decisions_still_buffered_in_the_process(settings):
    settings.METER_EVENT_BATCH = 500  # nothing is written until the buffer is flushed
    log("a:43", 7)
    assert not DecisionEvent.objects.filter(reader_key="a:43").exists()

    reader_meter_forget(reader_key="a:43")
    events.flush()

    assert not DecisionEvent.objects.filter(reader_key="a:43").exists()


def same_bucket_pair() -> tuple[str, str]:
    """Two reader keys whose decision logs share an index bucket."""
    first = "c:bucket-0"
    for n in range(1, 10_000):
        other = f"c:bucket-{n}"
        if events.reader_bucket(other) == events.reader_bucket(first):
            return first, other
    raise AssertionError("no two keys share a bucket")


def test_a_reader_sharing_a_bucket_keeps_their_log():
    first, other = same_bucket_pair()
    log(first, 7)
    log(other, 7)

    reader_meter_forget(reader_key=first)

    assert list(DecisionEvent.objects.values_list("reader_key", flat=True)) == [other]
    assert list(DecisionEvent.objects.for_reader(other).values_list("reader_key", flat=True)) == [other]


def test_every_logged_decision_carries_its_readers_bucket():
    for reader in ("a:1", "c:0192f0c4-0000-7000-8000-000000000001", "d:device"):
        log(reader, 7)

    for reader_key, bucket in DecisionEvent.objects.values_list("reader_key", "reader_bucket"):
        assert bucket == events.reader_bucket(reader_key)
        assert 0 <= bucket < events.READER_BUCKETS


def test_the_migrations_fill_buckets_as_the_log_does():
    from importlib import import_module

    first = import_module("masthead.metering.migrations.0003_decisions_by_reader_bucket")
    latest = import_module("masthead.metering.migrations.0005_fewer_reader_buckets_no_time_index")

    assert latest.BEFORE == first.READER_BUCKETS
    assert latest.READER_BUCKETS == events.READER_BUCKETS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_regrouping_the_buckets_keeps_every_readers_log_findable_both_ways():
    import zlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    keys = ["a:1", "c:0192f0c4-0000-7000-8000-000000000001", "d:device", *(f"c:reader-{n}" for n in range(60))]
    before, after = (
        ("metering", "0004_signed_in_decisions_by_account"),
        ("metering", "0005_fewer_reader_buckets_no_time_index"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = MigrationExecutor(connection).loader.project_state([before]).apps.get_model("metering", "DecisionEvent")
        old.objects.bulk_create(
            old(reader_key=key, reader_bucket=zlib.crc32(key.encode()) % 32, article_id=7, allowed=True,
                reason="within_meter", rules_version=0, at=NOW)
            for key in keys
        )  # fmt: skip
        assert old.objects.filter(reader_bucket__gte=events.READER_BUCKETS).exists()  # the test has rows to move

        MigrationExecutor(connection).migrate([after])

        for key in keys:
            assert list(DecisionEvent.objects.for_reader(key).values_list("reader_key", flat=True)) == [key]

        MigrationExecutor(connection).migrate([before])

        assert sorted(old.objects.values_list("reader_key", "reader_bucket")) == sorted(
            (key, zlib.crc32(key.encode()) % 32) for key in keys
        )
    finally:
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())


def test_deleting_an_account_keeps_its_log_without_it_and_finds_its_rows_by_index(settings, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.METER_EVENT_BATCH = 1
    reader, other = (django_user_model.objects.create_user(f"r{n}@example.com", f"r{n}@example.com") for n in (1, 2))
    for user in (reader, other):
        events.record_decision(DECISION, reader_key=f"a:{user.pk}", account_id=user.pk, article_id=7, at=NOW)
    log("c:anonymous", 7)

    deleted = reader.pk
    with CaptureQueriesContext(connection) as queries:
        reader.delete()

    assert DecisionEvent.objects.filter(reader_key=f"a:{deleted}", account=None).count() == 1
    assert DecisionEvent.objects.get(reader_key=f"a:{other.pk}").account_id == other.pk
    if connection.vendor == "sqlite":  # the index leaves anonymous rows out; deleting an account still uses it
        (update,) = [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "metering_decisionevent"')
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {update}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "decision_by_account" in plan
