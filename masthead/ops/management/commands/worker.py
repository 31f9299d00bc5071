"""masthead worker: runs background jobs and periodic schedules."""

from __future__ import annotations

import logging
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from masthead.ops import schedule

logger = logging.getLogger("masthead.worker")

TICK_SECONDS = 5


class Command(BaseCommand):
    help = "Run background jobs from the database queue, and enqueue periodic jobs when due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Tick the schedule once, run every ready job, then exit."
        )
        parser.add_argument("--no-schedule", action="store_true", help="Run jobs only; do not enqueue periodic ones.")
        parser.add_argument("--interval", type=float, default=None, help="Seconds to wait when the queue is empty.")
        parser.add_argument("--queues", default="*", help="Comma-separated queue names, or * for all (default).")

    def handle(self, *, batch, no_schedule, interval, queues, verbosity, **options):
        from django.conf import settings

        logging.getLogger("django_tasks_db").setLevel(logging.INFO if verbosity else logging.WARNING)
        jobs = schedule.discover()
        if not no_schedule:
            schedule.tick()
            if not batch:
                threading.Thread(target=self._ticker, name="schedule", daemon=True).start()
        if verbosity:
            self.stdout.write(f"worker: {len(jobs)} periodic jobs: {', '.join(sorted(jobs)) or 'none'}")
        worker = Worker(
            queue_names=queues.split(","),
            interval=interval if interval is not None else settings.WORKER_INTERVAL,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not batch:
            worker.configure_signals()
        worker.run()

    def _ticker(self):
        stop = threading.Event()
        while not stop.wait(TICK_SECONDS):
            try:
                schedule.tick()
            except Exception:  # keep ticking: one failed tick must not stop the schedule
                logger.exception("schedule tick failed")
            finally:
                close_old_connections()
