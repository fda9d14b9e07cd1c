"""Idempotent submits: a client's `Idempotency-Key` header makes a retried submit answer with the job
the first one made instead of making another.

Keys are the tenant's own (two tenants may use the same key). The first submit with a key claims it
with a conditional put of an idempotency row (gpujobs.task_store) holding the SHA-256 of its body as
canonical JSON (keys sorted, no spaces) and the id the job will get; only one of any number of
concurrent duplicates can win that put, so they make one job and one message. Then, for 24 hours:

- the same key and the same body answer 202 with that job as it is now (`Idempotent-Replayed: true`);
- the same key and another body: 422 `idempotency_key_reused`;
- the same key while the first submit is still running: 409 `idempotency_in_flight` with Retry-After.

A submit that made no job (refused, or a dependency failed) frees its key, so the client's retry runs
again. One that crashed half way leaves its claim, which stops counting after 60 s (`in_flight_until`).
"""

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore, idempotency_key
from services.api.api_errors import ApiError, JobNotFound

HEADER = "Idempotency-Key"
IN_FLIGHT_S = 60
RETENTION_S = 24 * 3600
# An sf-string as the draft defines the header, quoted or not: visible ASCII, at most 255 characters.
_KEY = re.compile(r'^"?([\x20-\x21\x23-\x7e]{1,255})"?$')


class BadIdempotencyKey(ApiError):
    status, code = 400, "bad_idempotency_key"


class IdempotencyInFlight(ApiError):
    status, code = 409, "idempotency_in_flight"


class IdempotencyKeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"


def canonical_hash(body: Any) -> str:
    """SHA-256 of the body as canonical JSON, so key order and spacing do not make two bodies differ."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_key(raw: str) -> str:
    match = _KEY.match(raw)
    if not match or (raw.startswith('"') != raw.endswith('"')) or not match.group(1).strip():
        raise BadIdempotencyKey(f"{HEADER} must be 1-255 visible ASCII characters, optionally in double quotes")
    return match.group(1)


@dataclass
class IdempotentSubmits:
    store: TaskStore
    clock: Callable[[], float] = time.time

    def submit(self, tenant: str, raw_key: str, body: Any, run: Callable[[str], Task]) -> tuple[Task, bool]:
        """`run(job_id)` makes the job unless a submit with this key did; (the job, whether it is a replay)."""
        key = parse_key(raw_key)
        row = idempotency_key(tenant, hashlib.sha256(key.encode()).hexdigest())
        body_hash = canonical_hash(body)
        job_id = str(uuid.uuid4())
        now = int(self.clock())
        held = self.store.reserve_idempotency(row, body_hash, job_id, now, IN_FLIGHT_S, RETENTION_S)
        if held is not None:
            if held.body_hash != body_hash:
                raise IdempotencyKeyReused(f"this {HEADER} was used with another request body",
                                           {"header": HEADER})
            if not held.done:
                raise IdempotencyInFlight(f"a submit with this {HEADER} is still running; retry shortly",
                                          {"header": HEADER}, {"Retry-After": str(max(1, held.in_flight_until - now))})
            task = self.store.find(held.job_id)
            if task is None:
                raise JobNotFound(f"the job this {HEADER} made is gone")
            return task, True
        try:
            task = run(job_id)
        except BaseException:
            self.store.release_idempotency(row, job_id)
            raise
        self.store.finish_idempotency(row, job_id)
        return task, False
