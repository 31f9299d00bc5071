"""collectstatic, skipped when nothing it would collect has changed."""

from __future__ import annotations

import hashlib
import os

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command


def static_fingerprint() -> str:
    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = storage.path(path) if hasattr(storage, "path") else path
            try:
                info = os.stat(stat)
                digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(f"{path}:missing\n".encode())
    return digest.hexdigest()


def collect_if_changed(*, verbosity: int = 0) -> bool:
    """Run collectstatic unless the collected files are already current; True when it ran."""
    stamp = settings.STATIC_ROOT / ".masthead-fingerprint"
    fingerprint = static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=verbosity)
    stamp.write_text(fingerprint)
    return True
