"""masthead serve: the production web server (granian, WSGI) with static files via whitenoise."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

# Python threads per worker process that run requests. Pages are mostly CPU work under
# one interpreter lock, so more threads mostly add switching; a few cover the waits on
# the database (see bench/README.md, bench/pages, for the measurements).
BLOCKING_THREADS = 4


class Command(BaseCommand):
    help = "Serve masthead over HTTP with granian. HOST, PORT and WEB_CONCURRENCY come from the environment."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument(
            "--blocking-threads",
            type=int,
            default=BLOCKING_THREADS,
            help=f"request threads per worker (default {BLOCKING_THREADS})",
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *, host, port, workers, blocking_threads, no_collectstatic, verbosity, **options):
        from granian import Granian
        from granian.constants import Interfaces

        if not no_collectstatic:
            from masthead.ops.staticfiles import collect_if_changed

            collect_if_changed(verbosity=verbosity)
        host = host or settings.HOST
        port = port or settings.PORT
        workers = workers or settings.WEB_CONCURRENCY
        self.stdout.write(f"serving on http://{host}:{port}/ with {workers} workers of {blocking_threads} threads")
        Granian(
            "masthead.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=blocking_threads,
            log_access=False,
        ).serve()
