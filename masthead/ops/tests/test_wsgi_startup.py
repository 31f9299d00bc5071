"""The web process's start: what it loads once is kept out of the garbage collector's scans."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import gc, sys
import masthead.wsgi
print(gc.get_freeze_count(), len(gc.get_objects()), "masthead.urls" in sys.modules)
"""


def test_startup_objects_are_frozen_before_the_first_request(tmp_path):
    env = {**os.environ, "MASTHEAD_DEMO": "1", "MASTHEAD_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    frozen, scanned, urls_loaded = result.stdout.split()
    # The apps, Wagtail and the URLconf: tens of thousands of objects, none left for full collections to walk.
    assert int(frozen) > 50_000
    assert int(scanned) < int(frozen) // 20
    assert urls_loaded == "True"
