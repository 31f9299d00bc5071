"""masthead seed: synthetic articles and readers at scale, for load tests."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from masthead.content import synthetic
from masthead.content.signals import bump_generation


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"expected a whole number, not {value!r}") from None
    if number < 0:
        raise CommandError(f"expected zero or more, not {number}")
    return number


class Command(BaseCommand):
    help = "Generate synthetic articles and readers for load tests (never in a real newsroom)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=positive, default=0)
        parser.add_argument("--readers", type=positive, default=0)
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable content.")

    def handle(self, *, articles, readers, seed, verbosity, **options):
        if not articles and not readers:
            raise CommandError("nothing to do: give --articles N and/or --readers M")
        if articles:
            started = time.perf_counter()
            made = synthetic.seed_articles(
                articles, seed=seed, progress=lambda n: verbosity > 1 and self.stdout.write(f"  {n} articles")
            )
            bump_generation()
            elapsed = time.perf_counter() - started
            self.stdout.write(f"{made} articles in {elapsed:.1f}s ({made / elapsed:.0f}/s)")
        if readers:
            started = time.perf_counter()
            made = synthetic.seed_readers(readers)
            elapsed = time.perf_counter() - started
            self.stdout.write(f"{made} readers in {elapsed:.1f}s ({made / elapsed:.0f}/s)")
