"""masthead demo: one command from a clean clone to a running newsroom."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from masthead.content.demo import loader
from masthead.newsletters import demo as newsletters_demo
from masthead.ops.staticfiles import collect_if_changed


class Command(BaseCommand):
    help = "Migrate, seed the demo newsroom (unless already seeded), then serve it with a worker until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--fresh", action="store_true", help="Throw the demo data away and seed it again.")
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything, then exit.")

    def handle(self, *, fresh, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if fresh and loader.is_seeded():
            self.stdout.write("demo: starting over")
            loader.reset()
        if not loader.is_seeded():
            self.stdout.write("demo: seeding the newsroom (about ten seconds)")
            loader.build()
        newsletters_demo.ensure()
        collect_if_changed(verbosity=0)
        self._welcome()
        if no_serve:
            return
        self._run_forever()

    def _welcome(self):
        url = f"http://{settings.HOST}:{settings.PORT}/"
        lines = [
            "",
            f"  {settings.PUBLICATION_NAME} is running at {url}",
            f"  Admin (Wagtail):  {url}admin/",
            f"  Mailbox (every message the site sends, kept here): {url}admin/mailbox/",
            "",
            f"  Demo accounts (password: {loader.DEMO_PASSWORD}):",
            *[f"    {email:<26} {purpose}" for email, _, _, purpose in loader.DEMO_ACCOUNTS],
            "",
            "  Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _run_forever(self):
        command = [sys.executable, "-m", "masthead.cli"]
        children = [
            # Our own interpreter and module, with fixed arguments: nothing from outside.
            subprocess.Popen([*command, "serve", "--no-collectstatic"]),  # noqa: S603
            subprocess.Popen([*command, "worker", "--verbosity", "0"]),  # noqa: S603
        ]
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [child for child in children if child.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit("demo: a child process exited unexpectedly")
