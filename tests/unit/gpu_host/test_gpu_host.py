"""The host's state machine with real child processes and a scripted instance state."""

import os
import sys
import time
from pathlib import Path

import pytest

from local.emulator import free_port
from local.gpu_host.gpu_host import GpuHost
from local.gpu_host.host_config import ChildSpec, HostConfig
from tests.polling import wait_until

# Sleeps until SIGTERM, then records its name in a file and exits 0 (or ignores SIGTERM when asked).
CHILD = """
import signal, sys, time
name, record, stubborn = sys.argv[1], sys.argv[2], sys.argv[3] == "stubborn"
def on_term(*_):
    with open(record, "a") as f:
        f.write(name + "\\n")
    if not stubborn:
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
with open(record + "." + name + ".started", "a") as f:
    f.write("x\\n")
while True:
    time.sleep(0.05)
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class States:
    def __init__(self, *states: str | None) -> None:
        self.current: str | None = states[0] if states else None

    def __call__(self) -> str | None:
        return self.current


def spec(name: str, record: Path, stop_s: float = 5.0, stubborn: bool = False) -> ChildSpec:
    return ChildSpec(name, (sys.executable, "-c", CHILD, name, str(record), "stubborn" if stubborn else "polite"),
                     stop_s)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "stopped.txt"


NAMES = ("comfyui", "unified", "worker")


def make_host(record: Path, states: States, clock: Clock, **overrides) -> GpuHost:
    children = tuple(overrides.pop(name, spec(name, record)) for name in NAMES)
    config = HostConfig(children, boot_delay_s=20.0, poll_interval_s=0.05, restart_delay_s=2.0, **overrides)
    return GpuHost(config, "i-test", states, env={}, clock=clock)


def all_started(record: Path) -> bool:
    return all(Path(f"{record}.{name}.started").exists() for name in NAMES)


def boot(host: GpuHost, clock: Clock) -> None:
    """The instance is running: the host sees it, and the boot delay passes."""
    host.tick()
    clock.now += 20
    host.tick()


def wait_for(predicate, timeout_s: float = 10.0) -> None:
    wait_until(predicate, timeout_s, "the children to get there", every_s=0.02)


def test_children_start_only_after_the_boot_delay_and_stop_worker_first(record):
    states, clock = States("stopped"), Clock()
    host = make_host(record, states, clock)
    try:
        host.tick()
        assert not host.up
        states.current = "running"
        host.tick()
        clock.now += 19.0
        host.tick()
        assert not host.up and all(c.process is None for c in host.children)
        clock.now += 1.0
        host.tick()
        assert host.up and all(c.running() for c in host.children)
        wait_for(lambda: all_started(record))
        pids = [child.pid for child in host.children]
        states.current = "stopping"
        host.tick()
        assert not host.up
        assert record.read_text().splitlines() == ["worker", "unified", "comfyui"]
        assert all(c.process is None for c in host.children)
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        host.shut_down("test over")


def test_a_new_start_boots_again(record):
    states, clock = States("running"), Clock()
    host = make_host(record, states, clock)
    try:
        boot(host, clock)
        assert host.up
        states.current = "stopped"
        host.tick()
        states.current = "running"
        host.tick()
        assert not host.up  # booting again: the delay starts over
        clock.now += 20
        host.tick()
        assert host.up
    finally:
        host.shut_down("test over")


def test_a_child_that_ignores_sigterm_is_killed_after_its_bound(record):
    states, clock = States("running"), Clock()
    host = make_host(record, states, clock, worker=spec("worker", record, stop_s=0.5, stubborn=True))
    try:
        boot(host, clock)
        wait_for(lambda: all_started(record))
        outcomes = host.shut_down("test")
        assert outcomes[0].startswith("worker: killed after 0.5 s")
        assert outcomes[1:] == ["unified: terminated (0)", "comfyui: terminated (0)"]
    finally:
        host.shut_down("test over")


def test_an_unreadable_state_changes_nothing_and_a_dead_child_is_restarted(record):
    states, clock = States("running"), Clock()
    host = make_host(record, states, clock)
    try:
        boot(host, clock)
        states.current = None
        host.tick()
        assert host.up
        states.current = "running"
        worker = host.children[-1]
        first_pid = worker.pid
        worker.process.kill()
        worker.process.wait(5)
        host.tick()
        assert worker.pid == first_pid  # restart waits for the restart delay
        clock.now += 2
        host.tick()
        assert worker.running() and worker.pid != first_pid
    finally:
        host.shut_down("test over")


def test_run_stops_children_when_asked(record):
    import threading

    states = States("running")
    host = make_host(record, states, time.monotonic)
    host.config = HostConfig(**{**host.config.__dict__, "boot_delay_s": 0.0})
    thread = threading.Thread(target=host.run)
    thread.start()
    try:
        wait_for(lambda: host.up)
        wait_for(lambda: all_started(record))
        host.stop()
        thread.join(15)
        assert not thread.is_alive()
        assert sorted(record.read_text().splitlines()) == sorted(NAMES)
    finally:
        host.stop()
        thread.join(15)
        host.shut_down("test over")


# Serves HTTP on its port only after a second, as a service that takes time to come up.
SLOW_SERVER = """
import http.server, sys, time
time.sleep(1.0)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
# Records whether the URL answered when it started.
PROBE = """
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1).close()
    answer = "ready"
except OSError:
    answer = "not ready"
open(sys.argv[2], "w").write(answer)
import time
while True:
    time.sleep(0.05)
"""


def test_each_child_starts_once_the_one_before_answers_its_ready_url(record, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    seen = tmp_path / "seen"
    first = ChildSpec("slow", (sys.executable, "-c", SLOW_SERVER, str(port)), 5.0, ready_url=url)
    second = ChildSpec("probe", (sys.executable, "-c", PROBE, url, str(seen)), 5.0)
    host = GpuHost(HostConfig((first, second), boot_delay_s=0.0, ready_timeout_s=20.0), "i-test",
                   States("running"), env={}, clock=time.monotonic)
    try:
        host.tick()
        wait_for(lambda: seen.exists() and seen.read_text())
        assert seen.read_text() == "ready"
    finally:
        host.shut_down("test over")
