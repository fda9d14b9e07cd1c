"""Idempotency-Key on submit: a repeat answers with the first job, another body is 422, a submit still
running is 409, keys are per tenant, a refused submit frees its key, and concurrent duplicates make one
job and one message."""

import hashlib
import threading
from dataclasses import replace
from typing import Any

import pytest

from gpujobs.task_store import TaskStore, idempotency_key
from services.api.idempotency import canonical_hash
from tests.unit.api.conftest import UNLIMITED
from tests.unit.api.test_list_and_cancel import OneRequestAtATime

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/a.png", "prompt": "x", "seed": 1}


def submit(client: Any, body: Any = BODY, key: str = "k-1", **headers: str) -> Any:
    return client.post(CAMERA, json=body, headers={"Idempotency-Key": key, **headers})


def test_a_repeat_answers_with_the_first_job_and_queues_nothing_more(client: Any, aws: Any) -> None:
    first = submit(client)
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    reordered = {"seed": 1, "prompt": "x", "image_url": "s3://inputs/a.png"}  # the same body as canonical JSON
    again = submit(client, reordered)
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["job_id"] == first.get_json()["job_id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert len(aws.queue_bodies()) == 1
    assert submit(client, key='"k-1"').get_json()["job_id"] == first.get_json()["job_id"], "the sf-string form"


def test_the_same_key_with_another_body_is_422(client: Any) -> None:
    submit(client)
    response = submit(client, {**BODY, "prompt": "y"})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_tenant(client: Any, aws: Any) -> None:
    mine = submit(client).get_json()["job_id"]
    theirs = submit(client, headers={}, Authorization=f"Bearer {aws.new_key('globex')}")
    assert theirs.status_code == 202 and theirs.get_json()["job_id"] != mine


def test_a_submit_still_running_is_409_until_its_claim_lapses(client: Any, aws: Any, app: Any) -> None:
    store = TaskStore(aws.table_name, aws.dynamodb)
    row = idempotency_key("acme", hashlib.sha256(b"k-2").hexdigest())
    now = int(app.extensions["gpujobs_api"].idempotent.clock())
    assert store.reserve_idempotency(row, canonical_hash(BODY), "crashed-job", now, 60, 86400) is None
    busy = submit(client, key="k-2")
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "idempotency_in_flight"
    assert 1 <= int(busy.headers["Retry-After"]) <= 60
    store.db.update_item(TableName=aws.table_name, Key={"task_id": {"S": row}},
                         UpdateExpression="SET in_flight_until = :past",
                         ExpressionAttributeValues={":past": {"N": "1"}})
    retried = submit(client, key="k-2")
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers


def test_a_refused_submit_frees_its_key(make_app: Any, aws: Any) -> None:
    config = replace(UNLIMITED, rate_limit=1000.0, max_waiting_jobs=1, waiting_cache_s=0.0)
    client = make_app(config=config).test_client()
    waiting = client.post(CAMERA, json={**BODY, "seed": 2}).get_json()["job_id"]
    assert submit(client).status_code == 429
    assert client.post(f"/api/v1/jobs/{waiting}/cancel").status_code == 200
    retried = submit(client)
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers


@pytest.mark.parametrize("key", ["", "é", "x" * 256, '"open', " "])
def test_a_malformed_key_is_400(client: Any, aws: Any, key: str) -> None:
    response = client.post(CAMERA, json=BODY, headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_idempotency_key"
    assert aws.queue_bodies() == []


def test_concurrent_duplicates_make_one_job_and_one_message(make_app: Any, aws: Any) -> None:
    client = make_app(dynamodb=OneRequestAtATime(aws.dynamodb)).test_client()
    answers: list[Any] = []
    gate = threading.Barrier(8)

    def duplicate() -> None:
        gate.wait()
        answers.append(submit(client, key="k-race"))

    threads = [threading.Thread(target=duplicate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 8
    made = {a.get_json()["job_id"] for a in answers if a.status_code == 202}
    assert len(made) == 1
    assert {a.status_code for a in answers} <= {202, 409}
    assert len(aws.queue_bodies()) == 1
    assert len([r for r in aws.rows() if "status" in r]) == 1, "one task row (beside the idempotency row)"
