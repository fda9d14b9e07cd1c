"""GET /api/v1/jobs (newest first, stable cursor pages, filters) and POST /api/v1/jobs/{id}/cancel (pending
at once, processing through its worker, finished 409), with the races decided by conditional writes."""

import threading
from typing import Any

import pytest

from gpujobs.errors import TransitionRejected
from gpujobs.task_model import Task, TaskStatus
from gpujobs.task_store import TaskStore

CAMERA = "/api/v1/camera-angle/jobs"
QWEN = "/api/v1/qwen-image-edit/jobs"


@pytest.fixture
def store(aws: Any) -> TaskStore:
    return TaskStore(aws.table_name, aws.dynamodb)


def put_jobs(store: TaskStore, count: int, tenant: str = "acme", job_type: str = CAMERA, start: int = 1000,
             same_second: bool = False) -> list[str]:
    ids = []
    for i in range(count):
        task_id = f"{tenant}-{job_type.split('/')[3]}-{i:03d}"
        store.create(Task.new(task_id, job_type, {"prompt": "x"}, start if same_second else start + i,
                              tenant=tenant))
        ids.append(task_id)
    return ids


def pages(client: Any, query: str = "", limit: int = 4) -> list[list[str]]:
    seen, cursor = [], None
    for _ in range(50):
        url = f"/api/v1/jobs?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen.append([j["job_id"] for j in body["jobs"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the list never ended")


def test_list_is_newest_first_in_stable_pages(client: Any, store: TaskStore) -> None:
    ids = put_jobs(store, 10)
    put_jobs(store, 3, tenant="globex")
    got = pages(client, limit=4)
    assert [len(p) for p in got][:3] == [4, 4, 2]
    assert [j for p in got for j in p] == ids[::-1]
    assert pages(client, limit=4) == got, "the same cursors give the same pages"


def test_pages_hold_when_jobs_share_a_second(client: Any, store: TaskStore) -> None:
    ids = put_jobs(store, 7, same_second=True)
    flat = [j for p in pages(client, limit=3) for j in p]
    assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat))


def test_list_filters_by_status_and_workflow(client: Any, store: TaskStore) -> None:
    cameras = put_jobs(store, 5)
    qwens = put_jobs(store, 3, job_type=QWEN, start=2000)
    store.cancel_pending(cameras[1], 3000, "x")
    flat = [j for p in pages(client, "&workflow=qwen-image-edit", limit=2) for j in p]
    assert flat == qwens[::-1]
    flat = [j for p in pages(client, "&status=cancelled", limit=2) for j in p]
    assert flat == [cameras[1]]
    flat = [j for p in pages(client, "&status=pending&workflow=camera-angle", limit=2) for j in p]
    assert flat == [c for c in cameras[::-1] if c != cameras[1]]
    body = client.get("/api/v1/jobs?limit=1").get_json()
    assert body["jobs"][0]["workflow"] == "qwen-image-edit" and set(body) == {"jobs", "next_cursor"}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "status=lost", "workflow=nope",
                                   "cursor=!!", "cursor=e30", "cursor=" + "A" * 3000, "colour=red"])
def test_bad_list_queries_are_422(client: Any, query: str) -> None:
    response = client.get(f"/api/v1/jobs?{query}")
    assert response.status_code == 422, (query, response.get_json())
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_cursor_never_reaches_another_tenants_jobs(client: Any, aws: Any, store: TaskStore) -> None:
    put_jobs(store, 3, tenant="globex")
    mine = put_jobs(store, 3)
    cursor = client.get("/api/v1/jobs?limit=1").get_json()["next_cursor"]
    other = {"Authorization": f"Bearer {aws.new_key('globex')}"}
    theirs = client.get(f"/api/v1/jobs?limit=10&cursor={cursor}", headers=other).get_json()["jobs"]
    assert not {j["job_id"] for j in theirs} & set(mine)


def test_cancel_a_pending_job_at_once(client: Any, aws: Any) -> None:
    job_id = client.post(CAMERA, json={"image_url": "s3://inputs/a.png", "prompt": "x"}).get_json()["job_id"]
    response = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200
    job = response.get_json()
    assert (job["status"], job["error"], job["cancel_requested"]) == ("cancelled", "cancelled at the client's request",
                                                                     False)
    assert job["finished_at"] is not None
    again = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409 and again.get_json()["error"]["details"] == {"status": "cancelled"}


def test_cancel_a_processing_job_asks_its_worker(client: Any, store: TaskStore) -> None:
    [job_id] = put_jobs(store, 1)
    store.claim(job_id, "w1", now=1100, lease_s=300)
    response = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 202
    assert (response.get_json()["status"], response.get_json()["cancel_requested"]) == ("processing", True)
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 202, "asking twice changes nothing"
    row = store.renew_lease(job_id, "w1", now=1200, lease_s=300)
    assert row.cancel_requested, "the worker's next heartbeat learns of it"
    store.cancel(job_id, 1210, worker_id="w1", reason="cancelled at the client's request")
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "cancelled"


@pytest.mark.parametrize("end", ["complete", "fail"])
def test_a_finished_job_is_409_and_unchanged(client: Any, store: TaskStore, end: str) -> None:
    [job_id] = put_jobs(store, 1)
    store.claim(job_id, "w1", now=1100, lease_s=300)
    if end == "complete":
        store.complete(job_id, "w1", "s3://results/x.png", 1200)
    else:
        store.fail(job_id, "boom", 1200, worker_id="w1")
    before = store.get(job_id)
    response = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "job_finished"
    assert store.get(job_id) == before


def test_cancel_of_an_unknown_job_is_404(client: Any) -> None:
    assert client.post("/api/v1/jobs/7d9a5c1e-0f7b-4d3a-8e2c-1a2b3c4d5e6f/cancel").status_code == 404
    assert client.post("/api/v1/jobs/bad!id/cancel").status_code == 404


class OneRequestAtATime:
    """A DynamoDB client whose requests never overlap, as DynamoDB applies each write to an item whole.
    (moto checks a condition and writes in two steps, so without this two threads could both pass.)"""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


def test_cancel_racing_a_claim_records_exactly_one_outcome(make_app: Any, aws: Any) -> None:
    """Cancel and a worker's claim go at a pending job together: either the cancel wins (cancelled, the claim
    refused) or the claim wins (processing, the cancel recorded as a request), never both."""
    db = OneRequestAtATime(aws.dynamodb)
    client = make_app(dynamodb=db).test_client()
    store = TaskStore(aws.table_name, db)
    for round_ in range(16):
        job_id = f"race-{round_:02d}"
        store.create(Task.new(job_id, CAMERA, {"prompt": "x"}, 5000 + round_, tenant="acme"))
        gate = threading.Barrier(2)
        claimed: list[bool] = []

        def claim(job_id: str = job_id, gate: threading.Barrier = gate, claimed: list[bool] = claimed) -> None:
            gate.wait()
            try:
                store.claim(job_id, "w1", now=6000, lease_s=300)
                claimed.append(True)
            except TransitionRejected:
                claimed.append(False)

        thread = threading.Thread(target=claim)
        thread.start()
        gate.wait()
        answer = client.post(f"/api/v1/jobs/{job_id}/cancel").status_code
        thread.join(10)
        row = store.get(job_id)
        if claimed == [True]:
            assert answer == 202 and row.status is TaskStatus.PROCESSING and row.cancel_requested
        else:
            assert claimed == [False]
            assert answer == 200 and row.status is TaskStatus.CANCELLED and not row.cancel_requested


@pytest.mark.parametrize("claim_first", [True, False])
def test_a_claim_between_the_read_and_the_cancel_write(client: Any, app: Any, store: TaskStore,
                                                       monkeypatch: pytest.MonkeyPatch, claim_first: bool) -> None:
    """Both interleavings forced: the worker claims after the API read the job pending (its conditional
    write is refused and it asks the worker instead), or the API's write lands first (the claim is refused)."""
    [job_id] = put_jobs(store, 1)
    api_store = app.extensions["gpujobs_api"].store
    real = api_store.cancel_pending

    def worker_claims_first(*args: Any, **kwargs: Any) -> None:
        store.claim(job_id, "w1", now=1100, lease_s=300)
        real(*args, **kwargs)

    if claim_first:
        monkeypatch.setattr(api_store, "cancel_pending", worker_claims_first)
    answer = client.post(f"/api/v1/jobs/{job_id}/cancel")
    if claim_first:
        assert answer.status_code == 202 and answer.get_json()["cancel_requested"] is True
        assert store.get(job_id).status is TaskStatus.PROCESSING
    else:
        assert answer.status_code == 200
        with pytest.raises(TransitionRejected):
            store.claim(job_id, "w1", now=1100, lease_s=300)
        assert store.get(job_id).status is TaskStatus.CANCELLED


def test_cancel_request_racing_completion_leaves_the_completion(client: Any, store: TaskStore) -> None:
    [job_id] = put_jobs(store, 1)
    store.claim(job_id, "w1", now=1100, lease_s=300)
    store.request_cancel(job_id, 1150)
    store.complete(job_id, "w1", "s3://results/x.png", 1200)  # the GPU finished before the worker's beat
    with pytest.raises(TransitionRejected):
        store.cancel(job_id, 1210, worker_id="w1")
    assert store.get(job_id).status is TaskStatus.COMPLETED
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 409
