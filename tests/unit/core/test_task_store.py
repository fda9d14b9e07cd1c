"""The state machine as conditional writes, against moto in process."""

import boto3
import pytest
from moto import mock_aws

from gpujobs import task_store
from gpujobs.errors import TransitionRejected
from gpujobs.task_model import TERMINAL, Task, TaskStatus, can_move
from gpujobs.task_store import STATUS_INDEX, TaskStore

TABLE = "task_store_test"


@pytest.fixture
def store(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "task_id", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
                {"AttributeName": "created_at", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[{
                "IndexName": STATUS_INDEX,
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                              {"AttributeName": "created_at", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
        )
        yield TaskStore(TABLE, dynamodb=db)


def new_task(task_id="t1", now=1000):
    body = {"image_url": "s3://b/k.png", "prompt": "p", "cfg": 1.5, "steps": 4}
    return Task.new(task_id, "/api/v1/qwen-image-edit/jobs", body, now)


def test_terminal_states_never_move():
    for state in TERMINAL:
        assert not any(can_move(state, target) for target in TaskStatus)


def test_create_writes_every_spec_field(store):
    store.create(new_task())
    raw = store.db.get_item(TableName=TABLE, Key={"task_id": {"S": "t1"}})["Item"]
    for field in ("task_id", "status", "job_type", "created_at", "updated_at", "result_s3_uri",
                  "error_message", "comfy_job_id", "ttl"):
        assert field in raw, field
    assert raw["status"] == {"S": "pending"}
    assert raw["created_at"] == {"N": "1000"}
    task = store.get("t1")
    assert task.request_body["cfg"] == 1.5 and task.request_body["steps"] == 4


def test_create_twice_is_rejected(store):
    store.create(new_task())
    with pytest.raises(TransitionRejected):
        store.create(new_task())
    assert store.create_if_absent(new_task()) is False


def test_claim_complete_happy_path(store):
    store.create(new_task())
    claimed = store.claim("t1", "w1", now=1010, lease_s=300)
    assert claimed.status is TaskStatus.PROCESSING and claimed.attempts == 1 and claimed.worker_id == "w1"
    store.set_comfy_job_id("t1", "w1", "c-1", now=1011)
    done = store.complete("t1", "w1", "s3://r/out.png", now=1020)
    assert done.status is TaskStatus.COMPLETED and done.result_s3_uri == "s3://r/out.png"
    assert done.comfy_job_id == "c-1"


def test_claim_with_a_pool_records_it(store):
    store.create(new_task())
    claimed = store.claim("t1", "w1", now=1010, lease_s=300, pool="us-west-2")
    assert claimed.pool == "us-west-2"
    raw = store.db.get_item(TableName=TABLE, Key={"task_id": {"S": "t1"}}, ConsistentRead=True)["Item"]
    assert raw["pool"] == {"S": "us-west-2"}
    assert store.complete("t1", "w1", "s3://r/out.png", now=1020).pool == "us-west-2"


def test_claim_without_a_pool_writes_none(store):
    store.create(new_task())
    assert store.claim("t1", "w1", now=1010, lease_s=300).pool is None
    raw = store.db.get_item(TableName=TABLE, Key={"task_id": {"S": "t1"}}, ConsistentRead=True)["Item"]
    assert "pool" not in raw


def test_a_refused_claim_writes_no_pool(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300, pool="us-west-2")
    with pytest.raises(TransitionRejected):
        store.claim("t1", "w2", now=1100, lease_s=300, pool="eu-west-1")
    assert store.get("t1").pool == "us-west-2"


def test_second_worker_cannot_claim_a_live_lease(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    with pytest.raises(TransitionRejected) as caught:
        store.claim("t1", "w2", now=1100, lease_s=300)
    assert caught.value.current == TaskStatus.PROCESSING


def test_expired_lease_is_taken_over_and_stale_worker_cannot_finish(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    takeover = store.claim("t1", "w2", now=1400, lease_s=300)
    assert takeover.worker_id == "w2" and takeover.attempts == 2
    with pytest.raises(TransitionRejected):
        store.complete("t1", "w1", "s3://stale", now=1401)
    store.complete("t1", "w2", "s3://fresh", now=1402)
    assert store.get("t1").result_s3_uri == "s3://fresh"


def test_finished_task_cannot_be_claimed_or_failed(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    store.complete("t1", "w1", "s3://r/out.png", now=1020)
    with pytest.raises(TransitionRejected) as caught:
        store.claim("t1", "w2", now=5000, lease_s=300)
    assert caught.value.current == TaskStatus.COMPLETED
    with pytest.raises(TransitionRejected):
        store.fail("t1", "late failure", now=5001)


def test_fail_from_pending_without_worker(store):
    store.create(new_task())
    failed = store.fail("t1", "queue unavailable", now=1001)
    assert failed.status is TaskStatus.FAILED and failed.error_message == "queue unavailable"


def test_fail_by_worker_requires_its_lease(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    with pytest.raises(TransitionRejected):
        store.fail("t1", "not mine", now=1011, worker_id="w2")
    assert store.fail("t1", "mine", now=1012, worker_id="w1").status is TaskStatus.FAILED


def test_cancel_then_claim_is_rejected(store):
    store.create(new_task())
    store.cancel("t1", now=1001)
    with pytest.raises(TransitionRejected):
        store.claim("t1", "w1", now=1002, lease_s=300)


def test_renew_lease_only_for_holder(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    assert store.renew_lease("t1", "w1", now=1200, lease_s=300).lease_expires_at == 1500
    with pytest.raises(TransitionRejected):
        store.renew_lease("t1", "w2", now=1200, lease_s=300)


def test_status_index_lists_and_counts(store):
    for i in range(3):
        store.create(new_task(f"t{i}", now=1000 + i))
    store.claim("t0", "w1", now=1010, lease_s=300)
    assert [t.task_id for t in store.list_by_status(TaskStatus.PENDING)] == ["t2", "t1"]
    assert store.count_by_status(TaskStatus.PENDING) == 2
    assert store.count_by_status(TaskStatus.PROCESSING) == 1


def test_transition_on_missing_task_is_rejected(store):
    with pytest.raises(TransitionRejected) as caught:
        store.fail("ghost", "x", now=1)
    assert caught.value.current is None


def claimed_in(store, task_id, created_at, pool):
    store.create(new_task(task_id, now=created_at))
    store.claim(task_id, "w", now=created_at + 1, lease_s=300, pool=pool)


def test_pool_listing_pages_past_other_pools_rows(store, monkeypatch):
    monkeypatch.setattr(task_store, "POOL_PAGE_SIZE", 3)
    claimed_in(store, "west-old", 100, "us-west-2")
    claimed_in(store, "west-new", 101, "us-west-2")
    for i in range(7):  # newer than both, so the first pages hold none of us-west-2's rows
        claimed_in(store, f"east-{i}", 200 + i, "eu-west-1")
    found = store.list_by_status_in_pool(TaskStatus.PROCESSING, "us-west-2", limit=5, max_read=1000)
    assert [t.task_id for t in found] == ["west-new", "west-old"]
    only_newest = store.list_by_status_in_pool(TaskStatus.PROCESSING, "us-west-2", limit=1, max_read=1000)
    assert [t.task_id for t in only_newest] == ["west-new"]
    assert store.list_by_status_in_pool(TaskStatus.COMPLETED, "us-west-2", limit=5, max_read=1000) == []


def test_pool_listing_reads_at_most_max_read_rows(store, monkeypatch):
    monkeypatch.setattr(task_store, "POOL_PAGE_SIZE", 3)
    claimed_in(store, "west", 100, "us-west-2")
    for i in range(7):
        claimed_in(store, f"east-{i}", 200 + i, "eu-west-1")
    assert store.list_by_status_in_pool(TaskStatus.PROCESSING, "us-west-2", limit=5, max_read=7) == []
    assert [t.task_id for t in store.list_by_status_in_pool(TaskStatus.PROCESSING, "us-west-2", limit=5,
                                                            max_read=8)] == ["west"]
