"""The state machine and the lease rule as conditional writes, and the last-activity rows, against moto."""

import re

import pytest

from gpujobs import task_store
from gpujobs.capacity_policy import CapacityState
from gpujobs.errors import TransitionRejected
from gpujobs.task_message import TASK_ID_PATTERN
from gpujobs.task_model import ALLOWED, TERMINAL, Task, TaskStatus, lease_lapsed
from gpujobs.task_store import ACTIVITY_KEY, Lease, TaskStore


@pytest.fixture
def store(moto_clients):
    return TaskStore(moto_clients.task_table(), moto_clients.dynamodb)


def raw(store, task_id):
    return store.db.get_item(TableName=store.table_name, Key={"task_id": {"S": task_id}}, ConsistentRead=True)["Item"]


def new_task(task_id="t1", now=1000):
    body = {"image_url": "s3://b/k.png", "prompt": "p", "cfg": 1.5, "steps": 4}
    return Task.new(task_id, "/api/v1/qwen-image-edit/jobs", body, now)


def test_terminal_states_never_move():
    for state in TERMINAL:
        assert ALLOWED[state] == frozenset()


def test_create_writes_every_field_of_the_format(store):
    store.create(new_task())
    item = raw(store, "t1")
    for field in ("task_id", "status", "job_type", "created_at", "updated_at", "result_s3_uri",
                  "error_message", "comfy_job_id", "ttl"):
        assert field in item, field
    assert item["status"] == {"S": "pending"}
    assert item["created_at"] == {"N": "1000"}
    task = store.get("t1")
    assert task.request_body["cfg"] == 1.5 and task.request_body["steps"] == 4


def test_create_of_a_taken_id_is_rejected(store):
    store.create(new_task())
    with pytest.raises(TransitionRejected) as refused:
        store.create(new_task(now=1001))
    assert refused.value.task is not None and refused.value.task.created_at == 1000


def test_a_retried_create_that_finds_its_own_row_succeeds(store):
    # The first put landed but its answer timed out; the client's retry finds the row it wrote.
    store.create(new_task())
    store.claim("t1", "w1", now=1005, lease_s=300)  # a worker may even have claimed it meanwhile
    store.create(new_task())
    assert store.get("t1").status is TaskStatus.PROCESSING


def test_claim_complete_happy_path(store):
    store.create(new_task())
    claimed = store.claim("t1", "w1", now=1010, lease_s=300)
    assert claimed.status is TaskStatus.PROCESSING and claimed.attempts == 1 and claimed.worker_id == "w1"
    store.complete("t1", "w1", "s3://r/out.png", now=1020, comfy_job_id="c-1")
    done = store.get("t1")
    assert done.status is TaskStatus.COMPLETED and done.result_s3_uri == "s3://r/out.png"
    assert done.comfy_job_id == "c-1" and done.progress == 1.0


def test_claim_with_a_pool_records_it(store):
    store.create(new_task())
    claimed = store.claim("t1", "w1", now=1010, lease_s=300, pool="us-west-2")
    assert claimed.pool == "us-west-2"
    assert raw(store, "t1")["pool"] == {"S": "us-west-2"}
    store.complete("t1", "w1", "s3://r/out.png", now=1020)
    assert store.get("t1").pool == "us-west-2"


def test_claim_without_a_pool_writes_none(store):
    store.create(new_task())
    assert store.claim("t1", "w1", now=1010, lease_s=300).pool is None
    assert "pool" not in raw(store, "t1")


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
    store.fail("t1", "queue unavailable", now=1001)
    failed = store.get("t1")
    assert failed.status is TaskStatus.FAILED and failed.error_message == "queue unavailable"


def test_fail_by_worker_requires_its_lease(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    with pytest.raises(TransitionRejected):
        store.fail("t1", "not mine", now=1011, worker_id="w2")
    store.fail("t1", "mine", now=1012, worker_id="w1")
    assert store.get("t1").status is TaskStatus.FAILED


def test_cancel_then_claim_is_rejected(store):
    store.create(new_task())
    store.cancel("t1", now=1001)
    with pytest.raises(TransitionRejected):
        store.claim("t1", "w1", now=1002, lease_s=300)


def test_a_worker_cancels_only_the_task_it_holds(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    with pytest.raises(TransitionRejected):
        store.cancel("t1", now=1011, worker_id="w2", reason="not mine")
    store.cancel("t1", now=1012, worker_id="w1", reason="cancelled on the GPU", comfy_job_id="c-1")
    task = store.get("t1")
    assert (task.status, task.error_message, task.comfy_job_id) == (TaskStatus.CANCELLED, "cancelled on the GPU", "c-1")


def test_progress_rides_in_the_lease_renewal(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    store.renew_lease("t1", "w1", now=1100, lease_s=300, progress=0.25)
    assert store.get("t1").progress == 0.25
    store.renew_lease("t1", "w1", now=1200, lease_s=300)  # nothing new to report: progress stays
    task = store.get("t1")
    assert task.progress == 0.25 and task.lease_expires_at == 1500


def test_renew_lease_only_for_holder(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    store.renew_lease("t1", "w1", now=1200, lease_s=300)
    assert store.get("t1").lease_expires_at == 1500
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


def test_a_refusal_carries_the_row_as_it_was_found(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    with pytest.raises(TransitionRejected) as caught:
        store.claim("t1", "w2", now=1100, lease_s=300)
    assert (caught.value.task.worker_id, caught.value.task.lease_expires_at) == ("w1", 1310)
    with pytest.raises(TransitionRejected) as taken:
        store.create(new_task(now=1001))  # another creation under the same id
    assert taken.value.task.status == TaskStatus.PROCESSING


def test_the_lease_rule_in_python_says_what_the_conditions_say(store):
    store.create(new_task())
    held = store.claim("t1", "w1", now=1000, lease_s=100)
    assert held.held_at(1100) and not held.held_at(1101)
    assert not lease_lapsed(1100, 1100) and lease_lapsed(1100, 1101) and lease_lapsed(None, 0)
    with pytest.raises(TransitionRejected):
        store.claim("t1", "w2", now=1100, lease_s=100)
    assert store.claim("t1", "w2", now=1101, lease_s=100).worker_id == "w2"


def test_a_retry_note_lets_the_lease_lapse_and_only_the_holder_writes_it(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1000, lease_s=300)
    assert not store.note_retry("t1", "intruder", "boom", now=1010)
    assert store.note_retry("t1", "w1", "submit: HTTP 503", now=1010)
    task = store.get("t1")
    assert (task.last_error, task.held_at(1010)) == ("submit: HTTP 503", False)


def test_failing_unless_held_spares_a_live_lease(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1000, lease_s=300)
    with pytest.raises(TransitionRejected):
        store.fail("t1", "dead letter", now=1200, lease=Lease.LAPSED)
    store.fail("t1", "dead letter", now=1301, lease=Lease.LAPSED)
    assert store.get("t1").status is TaskStatus.FAILED


def test_only_a_pending_row_is_deleted(store):
    store.create(new_task("a"))
    store.create(new_task("b"))
    store.delete_pending("a")
    assert store.find("a") is None
    store.fail("b", "x", now=1001)
    with pytest.raises(TransitionRejected) as caught:
        store.delete_pending("b")
    assert caught.value.current == TaskStatus.FAILED and store.find("b") is not None


def test_a_row_may_be_created_failed(store):
    failed = Task.new("t1", "", {}, 1000)
    failed.status, failed.error_message, failed.finished_at = TaskStatus.FAILED, "rejected", 1000
    store.create(failed)
    task = store.get("t1")
    assert (task.status, task.error_message, task.finished_at) == (TaskStatus.FAILED, "rejected", 1000)


def test_activity_only_moves_forward(store):
    assert store.last_activity() is None
    assert store.record_activity(100)
    assert store.record_activity(200)
    assert not store.record_activity(150)
    assert store.last_activity() == 200
    assert "status" not in raw(store, ACTIVITY_KEY)  # the status index never sees it


def test_pools_have_activity_rows_of_their_own(store):
    assert store.record_activity(300, pool="us-west-2")
    assert store.record_activity(100, pool="eu-west-1"), "another pool's later time is no obstacle"
    assert (store.last_activity(pool="us-west-2"), store.last_activity(pool="eu-west-1")) == (300, 100)
    assert store.last_activity() is None, "pools leave the single-pool row alone"
    assert store.last_activity(pool="ap-south-1") is None
    keys = [i["task_id"]["S"] for i in store.db.scan(TableName=store.table_name)["Items"]]
    assert sorted(keys) == ["#last-activity#eu-west-1", "#last-activity#us-west-2"]
    assert not any(re.match(TASK_ID_PATTERN, key) for key in keys)


def test_capacity_rows_round_trip_per_pool_and_stay_out_of_the_index(store):
    assert store.capacity() == CapacityState(), "no row yet: no shortfall"
    short = CapacityState(shortfalls=2, last_shortfall_at=1000, types_tried=("g6e.2xlarge", "g6.2xlarge"))
    store.record_capacity(short, now=1000)
    store.record_capacity(CapacityState(), now=1100, pool="us-west-2")
    assert store.capacity() == short
    assert store.capacity(pool="us-west-2") == CapacityState()
    assert "status" not in raw(store, task_store.CAPACITY_KEY)  # the status index never sees it
    store.record_capacity(CapacityState(), now=1200)
    assert store.capacity() == CapacityState(), "a start clears the shortfall"


def test_only_pending_rows_are_in_the_waiting_index(store):
    for task_id in ("w1", "w2", "w3", "w4"):
        store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1000, tenant="acme"))
    store.create(Task.new("other", "/api/v1/camera-angle/jobs", {}, 1000, tenant="globex"))
    assert store.count_waiting("acme", at_most=100) == 4
    assert store.count_waiting("acme", at_most=2) == 2
    store.claim("w1", "worker", now=1100, lease_s=300)
    store.cancel_pending("w2", 1100, "x")
    store.fail("w3", "boom", 1100)
    assert store.count_waiting("acme", at_most=100) == 1
    assert "waiting_tenant" not in raw(store, "w1") and raw(store, "w4")["waiting_tenant"] == {"S": "acme"}
    assert store.count_waiting("globex", at_most=100) == 1


LEAKY = "Unified API unreachable: HTTPConnectionPool(host='127.0.0.1', port=8188): connection refused"


def test_every_error_written_to_a_row_has_internal_addresses_redacted(store):
    """fail (by a worker and by anyone), cancel (by a worker and while pending) and a row created failed:
    a client reads the reason, not the host and port behind it."""
    store.create(new_task("held"))
    store.claim("held", "w1", now=1010, lease_s=300)
    store.fail("held", LEAKY, now=1020, worker_id="w1")
    store.create(new_task("any"))
    store.fail("any", "queue at http://10.0.0.5:4566/q failed", now=1020)
    store.create(new_task("cancelled"))
    store.claim("cancelled", "w1", now=1010, lease_s=300)
    store.cancel("cancelled", 1020, worker_id="w1", reason="ComfyUI at localhost:8188 interrupted")
    store.create(new_task("pending"))
    store.cancel_pending("pending", 1020, "by [::1]:9000")
    made_failed = Task.new("made", "", {}, 1000)
    made_failed.status, made_failed.error_message, made_failed.finished_at = TaskStatus.FAILED, LEAKY, 1000
    store.create(made_failed)
    for task_id in ("held", "any", "cancelled", "pending", "made"):
        error = store.get(task_id).error_message
        assert "<internal>" in error, error
        assert not re.search(r"127\.0\.0\.1|10\.0\.0\.5|localhost|::1|8188|4566|9000", error), error


def test_a_retry_note_keeps_the_detail_for_operators(store):
    store.create(new_task())
    store.claim("t1", "w1", now=1010, lease_s=300)
    store.note_retry("t1", "w1", LEAKY, now=1020)
    assert store.get("t1").last_error == LEAKY
