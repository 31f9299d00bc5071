"""On SQLite, the meter's writes queue on a lock file beside the database, so web processes wait their turn
in the kernel rather than in SQLite's millisecond sleeps."""

from __future__ import annotations

import fcntl
import os

import pytest
from django.db import connection, transaction

from masthead.metering.stores.database import write_turn

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def other_process_file():
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        pytest.skip("the queue is for a SQLite database file")
    # Another open file description stands in for another process: flock excludes those.
    descriptor = os.open(f"{connection.settings_dict['NAME']}-write-queue", os.O_RDWR | os.O_CREAT, 0o600)
    yield descriptor
    os.close(descriptor)


def can_take(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    return True


def test_it_holds_the_queue_for_a_write_and_releases_it_after(other_process_file):
    with write_turn():
        assert not can_take(other_process_file)
    assert can_take(other_process_file)


def test_it_never_queues_inside_a_transaction(other_process_file):
    # That thread may already hold SQLite's own lock: waiting here could stall both.
    with transaction.atomic(), write_turn():
        assert can_take(other_process_file)
