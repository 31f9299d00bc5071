"""The provider-event inbox: every gateway event is stored, de-duplicated on (provider, event_id), then handled.

INTERFACE (implementation pending).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def receive(*, provider: str, event_id: str, type: str, payload: Mapping[str, Any]) -> bool:
    """Store an event from ``provider``; returns False when it was already stored (a duplicate delivery).

    Handling happens after commit (in the worker, or at once in tests and the sandbox).
    """
    raise NotImplementedError
