"""Running a service call in another thread, on its own database connection, for tests of what
two writers at once do (PostgreSQL row locks)."""

import threading

from django.db import connection

from core.errors import ServiceError


def in_thread(function) -> tuple[threading.Thread, dict]:
    """Start `function` in a thread; its outcome lands in the dict as `value`, `error` (a
    ServiceError) or `crash` (anything else: a deadlock, a 500, which the test must see)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function()
        except ServiceError as error:
            outcome["error"] = error
        except Exception as error:
            outcome["crash"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome
