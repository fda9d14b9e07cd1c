"""One beat: leases renewed, visibility extended, vanished messages and lost leases noticed."""

from gpujobs.task_model import Task
from services.adapter.heartbeat import Heartbeat, InFlight, InFlightJob

from .conftest import job_body, new_task_id


def received(aws, count):
    messages = []
    while len(messages) < count:
        messages += aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=30).get("Messages", [])
    return messages


def one_claimed_job(aws):
    """A task claimed by worker "w" at 1000 (lease 10 s), its message received and in flight."""
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "w", now=1000, lease_s=10)
    aws.send(job_body(task_id))
    inflight = InFlight()
    job = inflight.add(InFlightJob(received(aws, 1)[0]["ReceiptHandle"], "m", task_id))
    return task_id, inflight, job


def test_beat_renews_leases_and_drops_vanished_messages(aws):
    ids = [new_task_id(), new_task_id()]
    for task_id in ids:
        aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
        aws.store.claim(task_id, "w", now=1000, lease_s=10)
        aws.send(job_body(task_id))
    messages = {m["Body"]: m for m in received(aws, 2)}
    inflight = InFlight()
    jobs = [inflight.add(InFlightJob(messages[job_body(t)]["ReceiptHandle"], "m", t)) for t in ids]
    aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=jobs[0].receipt_handle)

    Heartbeat(inflight, aws.sqs, aws.queue_url, aws.store, "w", visibility_timeout_s=60, lease_s=58,
              interval_s=1, clock=lambda: 2000).beat()

    assert jobs[0].message_lost and not jobs[1].message_lost
    assert [j.task_id for j in inflight.snapshot()] == [ids[1]]
    assert aws.store.get(ids[1]).lease_expires_at == 2058


def test_beat_writes_the_jobs_progress_in_the_lease_renewal(aws):
    task_id, inflight, job = one_claimed_job(aws)
    beat = Heartbeat(inflight, aws.sqs, aws.queue_url, aws.store, "w", 60, 58, 1, clock=lambda: 1002).beat

    beat()
    assert aws.store.get(task_id).progress is None  # nothing reported yet
    job.progress = 0.375
    beat()
    task = aws.store.get(task_id)
    assert (task.progress, task.lease_expires_at) == (0.375, 1060)


def test_beat_flags_a_lease_taken_away(aws):
    task_id, inflight, job = one_claimed_job(aws)
    aws.store.cancel(task_id, now=1001)

    Heartbeat(inflight, aws.sqs, aws.queue_url, aws.store, "w", 60, 58, 1, clock=lambda: 1002).beat()

    assert job.lease_lost and not job.message_lost


def test_a_task_runs_in_one_thread_of_a_worker_at_a_time():
    inflight = InFlight()
    assert inflight.reserve_task("a")
    assert not inflight.reserve_task("a")
    inflight.release_task("a")
    assert inflight.reserve_task("a")


def test_beat_flags_a_cancel_a_client_asked_for(aws):
    task_id, inflight, job = one_claimed_job(aws)
    beat = Heartbeat(inflight, aws.sqs, aws.queue_url, aws.store, "w", 60, 58, 1, clock=lambda: 1002).beat

    beat()
    assert not job.cancel_requested
    aws.store.request_cancel(task_id, now=1003)
    beat()
    assert job.cancel_requested and not job.lease_lost
