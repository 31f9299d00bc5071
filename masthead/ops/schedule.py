"""Periodic jobs: which task runs how often, and the tick that enqueues them.

A job declares itself with ``@periodic(every=...)`` on a django task. The
worker calls ``tick()`` every few seconds; each due slot is claimed by
inserting a ``PeriodicRun`` row, so a slot is enqueued once however many
workers tick.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction

from masthead.lib import clock

logger = logging.getLogger(__name__)

KEEP_RUNS = dt.timedelta(days=2)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    task: object  # a django task: anything with .enqueue()


_registry: dict[str, Periodic] = {}


def periodic(*, every: dt.timedelta, name: str | None = None):
    """Register a task to be enqueued once per ``every``."""
    if every < dt.timedelta(seconds=1):
        raise ValueError("a periodic job runs at most once a second")

    def register(task):
        job_name = name or task.module_path
        _registry[job_name] = Periodic(name=job_name, every=every, task=task)
        return task

    return register


def slot_for(moment: dt.datetime, every: dt.timedelta) -> int:
    """The number of whole ``every`` intervals between the epoch and ``moment``."""
    return int(moment.timestamp() // every.total_seconds())


def discover() -> dict[str, Periodic]:
    """Import every installed app's ``tasks`` module so its jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("masthead."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise
    return dict(_registry)


def tick(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed; returns their names."""
    from masthead.ops.models import PeriodicRun

    now = now or clock.now()
    enqueued = []
    for job in discover().values():
        slot = slot_for(now, job.every)
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=job.name, slot=slot, enqueued_at=now)
                job.task.enqueue()
        except IntegrityError:
            continue  # another worker claimed this slot first
        enqueued.append(job.name)
        logger.info("enqueued periodic job %s (slot %s)", job.name, slot)
    PeriodicRun.objects.filter(enqueued_at__lt=now - KEEP_RUNS).delete()
    return enqueued
