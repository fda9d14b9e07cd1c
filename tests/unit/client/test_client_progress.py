"""How a job's status document becomes the phase a person sees."""

import io

import pytest

from gpujobs_cli.progress import ProgressLine, format_elapsed, job_age, job_phase, job_progress, progress_bar


@pytest.mark.parametrize(
    ("job", "waited", "phase"),
    [
        ({"status": "pending"}, 1.0, "queued"),
        ({"status": "pending"}, 30.0, "gpu_starting"),
        ({"status": "pending", "gpu_state": "running"}, 30.0, "queued"),
        ({"status": "pending", "instance_state": "stopped"}, 0.0, "gpu_starting"),
        ({"status": "processing"}, 30.0, "processing"),
        ({"status": "completed"}, 0.0, "done"),
        ({"status": "failed"}, 0.0, "failed"),
        ({"status": "cancelled"}, 0.0, "cancelled"),
    ],
)
def test_job_phase(job, waited, phase):
    assert job_phase(job, waited) == phase


def test_format_elapsed():
    assert [format_elapsed(s) for s in (0, 59.9, 61, 3725)] == ["0:00", "0:59", "1:01", "1:02:05"]


def test_job_age_uses_the_creation_time_and_falls_back_to_the_wait_start():
    assert job_age({"created_at": 100}, started=150, now=160) == 60
    assert job_age({}, started=150, now=160) == 10
    assert job_age({"created_at": 10_000}, started=150, now=160) == 10  # a clock far off is ignored


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal():
    stream = Terminal()
    line = ProgressLine("j1", stream)
    line.show("queued", 1)
    line.show("gpu_starting", 7)
    line.show("done", 20)
    line.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1
    assert text.count("\r") == 3
    assert "GPU starting" in text and text.rstrip().endswith("0:20")


def test_progress_writes_a_line_per_phase_elsewhere():
    stream = io.StringIO()
    line = ProgressLine("j1", stream)
    for phase, t in [("queued", 1), ("queued", 2), ("processing", 3), ("processing", 4), ("done", 5)]:
        line.show(phase, t)
    assert [row.split()[2] for row in stream.getvalue().splitlines()] == ["queued", "processing", "done"]


def test_progress_is_drawn_while_processing():
    assert progress_bar(0.5, width=10) == "[#####.....]  50%"
    assert progress_bar(1.0, width=4) == "[####] 100%"
    documents = ({"progress": 0.25}, {"progress": None}, {}, {"progress": 2}, {"progress": True})
    assert [job_progress(j) for j in documents] == [0.25, None, None, 1.0, None]
    stream = io.StringIO()
    line = ProgressLine("j1", stream)
    for phase, fraction in [("queued", None), ("processing", 0.1), ("processing", 0.2), ("processing", 0.4),
                            ("done", 1.0)]:
        line.show(phase, 3, fraction=fraction)
    rows = stream.getvalue().splitlines()
    assert [row.split("[")[-1].split("]")[-1].strip() if "[" in row else "" for row in rows] == ["", "10%", "40%", ""]
    assert "#" not in rows[-1]  # the bar belongs to processing only
