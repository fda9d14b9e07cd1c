from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from tests.unit.webhook.receivers import Receiver, running


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """Start loopback receivers: `receiver(status=500)`; all stopped after the test."""
    with ExitStack() as stack:
        def start(**kwargs: Any) -> Receiver:
            return stack.enter_context(contextmanager(running)(Receiver(**kwargs)))

        yield start
