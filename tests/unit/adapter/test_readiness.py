"""Readiness: a slot waits, probing /health with capped backoff, until the Unified API takes jobs."""

import random
import threading

from services.adapter.readiness import Readiness
from services.adapter.unified_api import Health


class Probe:
    def __init__(self, *answers: Health) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> Health:
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_waits_until_health_says_ready_then_asks_nothing_more(caplog):
    probe = Probe(Health(False, "HTTP 503: ComfyUI lacks nodes"), Health(False, "HTTP 503: ComfyUI lacks nodes"),
                  Health(True))
    readiness = Readiness(probe, threading.Event(), random.Random(1), base_s=0.001, cap_s=0.002)
    with caplog.at_level("INFO"):
        assert readiness.wait_ready()
        assert readiness.wait_ready()
    assert probe.calls == 3  # a ready Unified API costs a receive nothing
    assert caplog.text.count("ComfyUI lacks nodes") == 1  # one line per reason, not one per probe
    assert "receiving messages again" in caplog.text


def test_a_lost_api_is_probed_again():
    probe = Probe(Health(True), Health(False, "refused"), Health(True))
    readiness = Readiness(probe, threading.Event(), random.Random(1), base_s=0.001, cap_s=0.002)
    assert readiness.wait_ready()
    readiness.lost("POST /api/v1/x/jobs: HTTP 503")
    assert not readiness.ready
    assert readiness.wait_ready() and probe.calls == 3


def test_stopping_ends_the_wait():
    stopping = threading.Event()
    probe = Probe(Health(False, "refused"))
    readiness = Readiness(probe, stopping, random.Random(1), base_s=0.001, cap_s=0.002)
    threading.Timer(0.05, stopping.set).start()
    assert not readiness.wait_ready()
    assert probe.calls >= 1
