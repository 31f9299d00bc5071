"""Running one piece of work on several threads at once, for race tests."""

from __future__ import annotations

import threading


def workers(count: int, work) -> list:
    """Run ``work`` in ``count`` threads released together; returns what each returned (or raised).

    Each thread closes its database connection when done, as a request or a worker would.
    """
    from django.db import connection

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
