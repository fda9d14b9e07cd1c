"""A restarted worker hands the jobs its previous process held back to the queue at once."""

from gpujobs.task_model import Task
from services.adapter import instance_identity
from services.adapter.takeback import RESTARTED, take_back
from tests.unit.adapter.conftest import Aws, job_body, new_task_id


def _received(aws: Aws, task_id: str, worker_id: str, now: int) -> str:
    """Queue a job, receive it (hidden for 300 s) and claim it as `worker_id` would; returns the receipt."""
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {"prompt": "p"}, now))
    aws.send(job_body(task_id))
    message = aws.sqs.receive_message(QueueUrl=aws.queue_url, VisibilityTimeout=300)["Messages"][0]
    aws.store.claim(task_id, worker_id, now, 298, receipt_handle=message["ReceiptHandle"])
    return message["ReceiptHandle"]


def test_own_jobs_come_back_visible_with_their_leases_lapsed(aws: Aws) -> None:
    mine, theirs = new_task_id(), new_task_id()
    _received(aws, mine, "i-0abc", 1000)
    _received(aws, theirs, "i-0def", 1000)
    assert aws.counts() == (0, 2)

    assert take_back(aws.store, aws.sqs, aws.queue_url, "i-0abc", 1010) == [mine]

    assert aws.counts() == (1, 1)  # only this worker's message is visible again
    row = aws.store.get(mine)
    assert row.last_error == RESTARTED and row.lease_expires_at is not None and row.lease_expires_at < 1010
    assert aws.store.get(theirs).held_at(1010)  # another instance's job is left alone
    again = aws.sqs.receive_message(QueueUrl=aws.queue_url, VisibilityTimeout=300)["Messages"][0]
    claimed = aws.store.claim(mine, "i-0xyz", 1011, 298, receipt_handle=again["ReceiptHandle"])
    assert claimed.attempts == 2 and claimed.receipt_handle == again["ReceiptHandle"]


def test_a_message_no_longer_in_flight_is_skipped(aws: Aws) -> None:
    task_id = new_task_id()
    receipt = _received(aws, task_id, "i-0abc", 1000)
    aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=receipt)

    assert take_back(aws.store, aws.sqs, aws.queue_url, "i-0abc", 1010) == [task_id]
    assert aws.counts() == (0, 0)


def test_worker_id_is_the_setting_else_the_instance_else_the_host(monkeypatch) -> None:
    assert instance_identity.worker_id("gpu-1") == "gpu-1"
    monkeypatch.setattr(instance_identity, "ec2_instance_id", lambda: "i-0123456789abcdef0")
    assert instance_identity.worker_id(None) == "i-0123456789abcdef0"
    monkeypatch.setattr(instance_identity, "ec2_instance_id", lambda: None)
    monkeypatch.setattr(instance_identity.socket, "gethostname", lambda: "laptop")
    assert instance_identity.worker_id(None) == "laptop"
