"""A worker's loop in a thread of the test process, stopped and joined (bounded) when the test is done."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from services.adapter.worker import Worker


@contextmanager
def running(worker: Worker) -> Iterator[Worker]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            worker.run()
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    thread = threading.Thread(target=target, name="worker-loop", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(30)
        assert not thread.is_alive(), "worker loop did not stop"
        assert not errors, errors
