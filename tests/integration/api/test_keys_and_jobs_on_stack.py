"""Keys, tenants, the job list and cancel over real HTTP through gunicorn, on the Terraform-built stack
(the key table and the tenant index as Terraform made them)."""

import time
import uuid
from typing import Any

import pytest
import requests

from gpujobs.api_keys import KeyTable, key_id_of
from tests.input_uploads import upload_through_api
from tests.polling import wait_until

from .conftest import ApiServer

pytestmark = pytest.mark.integration

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "x"}


@pytest.fixture(scope="module")
def api(start_api: Any) -> ApiServer:
    return start_api()


def keyed(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def fresh_tenant(api_keys: KeyTable, rate_limit: float | None = 10_000.0) -> requests.Session:
    """A session with a key of a tenant of its own, so the test sees only its own jobs."""
    return keyed(api_keys.create(f"t-{uuid.uuid4().hex[:10]}", int(time.time()), rate_limit)[0])


def test_without_a_key_only_the_public_health_answers(api: ApiServer) -> None:
    for method, path in (("post", CAMERA), ("get", "/api/v1/jobs"), ("get", f"/api/v1/jobs/{uuid.uuid4()}"),
                         ("post", f"/api/v1/jobs/{uuid.uuid4()}/cancel")):
        response = requests.request(method, api.url + path, json=BODY, timeout=10)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert requests.get(api.url + "/health", timeout=10).json() == {"status": "healthy"}
    detail = api.http.get(api.url + "/health", timeout=10).json()
    assert detail["status"] == "healthy" and set(detail["checks"]) == {"dynamodb", "sqs"}


def test_tenants_see_only_their_own_jobs(api: ApiServer, api_keys: KeyTable) -> None:
    mine, theirs = fresh_tenant(api_keys), fresh_tenant(api_keys)
    job_id = mine.post(api.url + CAMERA, json=BODY, timeout=10).json()["job_id"]
    assert mine.get(f"{api.url}/api/v1/jobs/{job_id}", timeout=10).status_code == 200
    assert theirs.get(f"{api.url}/api/v1/jobs/{job_id}", timeout=10).status_code == 404
    assert theirs.post(f"{api.url}/api/v1/jobs/{job_id}/cancel", timeout=10).status_code == 404
    assert theirs.get(f"{api.url}/api/v1/jobs", timeout=10).json() == {"jobs": [], "next_cursor": None}
    listed = wait_until(lambda: mine.get(f"{api.url}/api/v1/jobs", timeout=10).json()["jobs"], 10,
                        "the tenant index to show the job")
    assert [j["job_id"] for j in listed] == [job_id]


def test_list_pages_newest_first_and_cancel_a_pending_job(api: ApiServer, api_keys: KeyTable) -> None:
    http = fresh_tenant(api_keys)
    ids = [http.post(api.url + CAMERA, json=BODY, timeout=10).json()["job_id"] for _ in range(5)]
    wait_until(lambda: len(http.get(f"{api.url}/api/v1/jobs?limit=100", timeout=10).json()["jobs"]) == 5, 10,
               "the tenant index to show every job")
    seen, cursor = [], None
    for _ in range(10):
        page = http.get(f"{api.url}/api/v1/jobs", params={"limit": 2, "cursor": cursor}, timeout=10).json()
        seen += [j["job_id"] for j in page["jobs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    created = [j["created_at"] for j in http.get(f"{api.url}/api/v1/jobs", timeout=10).json()["jobs"]]
    assert created == sorted(created, reverse=True)

    cancelled = http.post(f"{api.url}/api/v1/jobs/{ids[0]}/cancel", timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert http.post(f"{api.url}/api/v1/jobs/{ids[0]}/cancel", timeout=10).status_code == 409
    only = wait_until(lambda: http.get(f"{api.url}/api/v1/jobs?status=cancelled", timeout=10).json()["jobs"], 10,
                      "the cancelled job in the list")
    assert [j["job_id"] for j in only] == [ids[0]]


def test_a_revoked_key_stops_working(api: ApiServer, api_keys: KeyTable) -> None:
    key = api_keys.create("revokes", int(time.time()), 10_000.0)[0]
    http = keyed(key)
    assert http.get(f"{api.url}/api/v1/jobs", timeout=10).status_code == 200
    assert api_keys.revoke(key_id_of(key) or "", int(time.time()))
    wait_until(lambda: http.get(f"{api.url}/api/v1/jobs", timeout=10).status_code == 401, 15,
               "the revoked key to be refused (the API's key cache holds at most 10 s)", every_s=0.5)


def test_a_keys_rate_limit_is_a_429_with_retry_after(api: ApiServer, api_keys: KeyTable) -> None:
    http = fresh_tenant(api_keys, rate_limit=1.0)
    answers = [http.get(f"{api.url}/api/v1/jobs", timeout=10) for _ in range(6)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"


def test_an_idempotent_submit_repeated_answers_with_the_same_job(api: ApiServer, api_keys: KeyTable) -> None:
    http = fresh_tenant(api_keys)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = http.post(api.url + CAMERA, json=BODY, headers=key, timeout=10)
    again = http.post(api.url + CAMERA, json=dict(reversed(list(BODY.items()))), headers=key, timeout=10)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["job_id"] == first.json()["job_id"] and again.headers["Idempotent-Replayed"] == "true"
    other = http.post(api.url + CAMERA, json={**BODY, "prompt": "other"}, headers=key, timeout=10)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    listed = wait_until(lambda: http.get(f"{api.url}/api/v1/jobs", timeout=10).json()["jobs"], 10, "the job listed")
    assert [j["job_id"] for j in listed] == [first.json()["job_id"]]


def test_uploads_and_deletes_are_the_tenants_own(api: ApiServer, api_keys: KeyTable, stack: dict[str, Any]) -> None:
    """A presigned PUT signed by the API's role lands under the caller's prefix; only that tenant may name it as
    an input; DELETE answers another tenant's job as unknown and a pending one with 409; a pending job's status
    says its place in the queue and its GPU."""
    mine, theirs = fresh_tenant(api_keys), fresh_tenant(api_keys)
    s3_uri = upload_through_api(api.url, mine, b"\x89PNG\r\n\x1a\n not really an image")
    assert s3_uri.startswith(f"s3://{stack['results_bucket_name']}/uploads/t-")
    body = {"image_url": s3_uri, "prompt": "x"}
    refused = theirs.post(api.url + CAMERA, json=body, timeout=10)
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["type"] == "input_not_allowed"
    submitted = mine.post(api.url + CAMERA, json=body, timeout=10)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]

    status = mine.get(f"{api.url}/api/v1/jobs/{job_id}", timeout=10).json()
    assert status["status"] == "pending" and isinstance(status["queue_position"], int)
    assert status["gpu"] in ("asleep", "starting", "running")
    assert theirs.delete(f"{api.url}/api/v1/jobs/{job_id}", timeout=10).status_code == 404
    not_finished = mine.delete(f"{api.url}/api/v1/jobs/{job_id}", timeout=10)
    assert not_finished.status_code == 409 and not_finished.json()["error"]["code"] == "job_not_finished"
    assert mine.post(f"{api.url}/api/v1/jobs/{job_id}/cancel", timeout=10).status_code == 200
    deleted = mine.delete(f"{api.url}/api/v1/jobs/{job_id}", timeout=10)
    assert deleted.status_code == 200 and deleted.json()["results_deleted_at"] is not None
