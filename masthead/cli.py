"""The ``masthead`` command: manage.py with masthead's own commands beside Django's.

masthead demo        migrate, seed the demo newsroom, serve it and run a worker
masthead serve       the production web server
masthead worker      background jobs and periodic schedules
masthead seed        synthetic content at scale for load tests
masthead <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("MASTHEAD_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["masthead", *argv[1:]])
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"masthead: configuration error: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
