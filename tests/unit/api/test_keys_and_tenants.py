"""Keys and tenants: keys stored only as hashes, a revoked key refused within the cache's TTL, one read
per key per interval, another tenant's job answered as unknown, and the per-key and per-tenant limits."""

import hashlib
import json
from dataclasses import replace
from typing import Any

from apig_wsgi import make_lambda_handler

from gpujobs.api_keys import ApiKey, key_id_of
from services.api.api_config import ApiConfig
from services.api.key_auth import KeyCache
from services.api.rate_limits import KeyRateLimiter
from tests.unit.api.conftest import UNLIMITED
from tests.unit.api.test_entry_points import http_api_event


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/a.png", "prompt": "x"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_table_holds_only_a_hash_of_the_key(aws: Any) -> None:
    key, record = aws.keys.create("acme", 1_700_000_000)
    [item] = [i for i in aws.dynamodb.scan(TableName=aws.key_table_name)["Items"]
              if i["key_id"]["S"] == record.key_id]
    assert key not in str(item) and key.split("_")[2] not in str(item)
    assert item["key_hash"]["S"] == hashlib.sha256(key.encode()).hexdigest()
    assert key_id_of(key) == record.key_id and item["tenant"]["S"] == "acme"


def test_a_key_is_read_once_per_interval_and_a_revoked_key_fails_after_it() -> None:
    record = ApiKey("0123456789ab", hashlib.sha256(b"k").hexdigest(), "acme", 0)

    class CountingTable:
        reads = 0
        revoked = False

        def get(self, key_id: str) -> ApiKey | None:
            self.reads += 1
            return None if self.revoked else record

    table, clock = CountingTable(), Clock(100.0)
    cache = KeyCache(table, ttl_s=5.0, clock=clock)  # type: ignore[arg-type]
    for _ in range(50):
        assert cache.lookup("0123456789ab") == record
    assert table.reads == 1
    table.revoked = True
    clock.advance(4.9)
    assert cache.lookup("0123456789ab") == record  # still within the interval
    clock.advance(0.2)
    assert cache.lookup("0123456789ab") is None
    assert table.reads == 2


def test_revoked_key_is_refused_once_the_cache_expires(make_app: Any, aws: Any) -> None:
    key = aws.new_key("acme")
    client = make_app(config=replace(UNLIMITED, key_cache_s=0.0, rate_limit=1000.0)).test_client()
    assert client.get("/api/v1/jobs", headers=bearer(key)).status_code == 200
    assert aws.keys.revoke(key_id_of(key) or "", 1_700_000_100)
    assert client.get("/api/v1/jobs", headers=bearer(key)).status_code == 401
    assert [k.revoked_at for k in aws.keys.list() if k.key_id == key_id_of(key)] == [1_700_000_100]
    assert not aws.keys.revoke("ffffffffffff", 1)


def test_key_cache_at_most_ten_seconds() -> None:
    from gpujobs.errors import ConfigError
    from gpujobs.settings import Settings

    try:
        ApiConfig.from_settings(Settings({"API_KEY_CACHE_S": "11"}))
    except ConfigError as exc:
        assert "API_KEY_CACHE_S" in str(exc)
    else:
        raise AssertionError("a key cache over 10 s must be refused")


def test_another_tenants_job_is_404_on_every_route(client: Any, aws: Any) -> None:
    job_id = client.post(CAMERA, json=BODY).get_json()["job_id"]
    other = bearer(aws.new_key("globex"))
    for path in (f"/api/v1/jobs/{job_id}", f"{CAMERA}/{job_id}"):
        assert client.get(path).status_code == 200
        response = client.get(path, headers=other)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "job_not_found"
    cancel = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=other)
    assert cancel.status_code == 404
    assert client.get("/api/v1/jobs", headers=other).get_json() == {"jobs": [], "next_cursor": None}
    assert [j["job_id"] for j in client.get("/api/v1/jobs").get_json()["jobs"]] == [job_id]
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "pending", "the other's cancel did nothing"
    [row] = aws.rows()
    assert row["tenant"] == {"S": "acme"}


def test_a_keys_rate_limit_answers_429_with_retry_after(make_app: Any, aws: Any) -> None:
    slow = aws.new_key("acme", rate_limit=1.0)
    client = make_app(config=replace(UNLIMITED, rate_limit=1000.0, rate_burst_s=2.0)).test_client()
    answers = [client.get("/api/v1/jobs", headers=bearer(slow)).status_code for _ in range(4)]
    assert answers[:2] == [200, 200] and 429 in answers[2:]
    limited = client.get("/api/v1/jobs", headers=bearer(slow))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/jobs").status_code == 200, "another key has its own bucket"


def test_token_bucket_refills_at_the_keys_rate() -> None:
    from flask import Flask, g

    from services.api.key_auth import Caller

    clock = Clock(0.0)
    limiter = KeyRateLimiter(default_rate=2.0, burst_s=1.0, clock=clock)
    with Flask(__name__).test_request_context():
        g.caller = Caller("k1", "acme", None)
        assert [limiter(None) for _ in range(3)] == [None, None, 1.0]  # type: ignore[arg-type]
        clock.advance(0.5)
        assert limiter(None) is None  # type: ignore[arg-type]
        g.caller = Caller("k2", "acme", 0.1)
        assert limiter(None) is None  # type: ignore[arg-type]
        assert limiter(None) == 10  # type: ignore[arg-type]


def test_a_tenants_waiting_jobs_are_capped(make_app: Any, aws: Any) -> None:
    config = replace(UNLIMITED, rate_limit=1000.0, max_waiting_jobs=2, waiting_cache_s=0.0)
    client = make_app(config=config).test_client()
    first = [client.post(CAMERA, json=BODY) for _ in range(2)]
    assert [r.status_code for r in first] == [202, 202]
    refused = client.post(CAMERA, json=BODY)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"
    assert refused.get_json()["error"]["details"] == {"max_waiting_jobs": 2}
    assert len(aws.queue_bodies()) == 2, "a refused submit queues nothing"
    assert client.post(CAMERA, json=BODY, headers=bearer(aws.new_key("globex"))).status_code == 202
    assert client.post(f"/api/v1/jobs/{first[0].get_json()['job_id']}/cancel").status_code == 200
    assert client.post(CAMERA, json=BODY).status_code == 202, "a cancelled job no longer waits"


def test_every_job_route_through_the_lambda_handler_keeps_to_the_callers_tenant(app: Any, aws: Any) -> None:
    """The gateway's path: each route that names a job answers another tenant's as unknown and changes
    nothing; the list and an Idempotency-Key are the caller's own."""
    handler = make_lambda_handler(app, binary_support=False)
    other = aws.new_key("globex")

    def call(method: str, path: str, key: str, body: dict | None = None, **headers: str) -> tuple[int, Any]:
        event = http_api_event(method, path, None if body is None else json.dumps(body),
                               {"authorization": f"Bearer {key}", **headers})
        answer = handler(event, None)
        return answer["statusCode"], json.loads(answer["body"])

    status, job = call("POST", CAMERA, aws.key, BODY, **{"idempotency-key": "same-key"})
    assert status == 202
    job_id = job["job_id"]
    for method, path in (("GET", f"/api/v1/jobs/{job_id}"), ("GET", f"{CAMERA}/{job_id}"),
                         ("POST", f"/api/v1/jobs/{job_id}/cancel"), ("DELETE", f"/api/v1/jobs/{job_id}")):
        status, answer = call(method, path, other)
        assert status == 404 and answer["error"]["code"] == "job_not_found", (method, path)
    assert call("GET", "/api/v1/jobs", other) == (200, {"jobs": [], "next_cursor": None})
    status, theirs = call("POST", CAMERA, other, BODY, **{"idempotency-key": "same-key"})
    assert status == 202 and theirs["job_id"] != job_id, "an Idempotency-Key is the tenant's own"
    status, mine = call("GET", f"/api/v1/jobs/{job_id}", aws.key)
    assert status == 200 and mine["status"] == "pending", "the other tenant's calls changed nothing"
    assert [j["job_id"] for j in call("GET", "/api/v1/jobs", aws.key)[1]["jobs"]] == [job_id]
