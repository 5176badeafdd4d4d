"""Real threads released together, for the race tests."""

import threading

from backend.extensions import db


def run_threads(app, count: int, work) -> list:
    """Start `count` threads at once (a barrier), each with its own app context; return their errors."""
    barrier = threading.Barrier(count)
    errors = []

    def target(index):
        with app.app_context():
            try:
                barrier.wait()
                work(index)
            except Exception as exc:  # collected and asserted on by the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors
