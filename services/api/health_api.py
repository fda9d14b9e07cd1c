"""GET /health: is the API up, and can it reach DynamoDB and SQS (the two dependencies of a submit)?

Anyone gets only `{"status": "healthy"}` (or 503 `unhealthy`); the per-dependency checks, with
their latencies and AWS error codes, are shown only to a request with a valid API key. The GPU
instance is not a dependency: a stopped instance is the normal idle state.
"""

import time
from typing import Any

from flask import Response, current_app, g, jsonify
from flask_openapi3 import APIBlueprint, Tag

from services.api.job_schemas import DependencyCheck, HealthResponse
from services.api.job_submission import AWS_ERRORS, aws_error_code


def _timed(check: Any) -> DependencyCheck:
    started = time.perf_counter()
    try:
        check()
    except AWS_ERRORS as exc:
        return DependencyCheck(ok=False, latency_ms=_ms(started), error=aws_error_code(exc))
    return DependencyCheck(ok=True, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def health_blueprint() -> APIBlueprint:
    bp = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])

    @bp.get("/health", responses={200: HealthResponse, 503: HealthResponse}, summary="Liveness and dependencies",
            operation_id="get_health")
    def health() -> Response:
        """200 when DynamoDB and SQS answer, else 503; each check's outcome only with an API key."""
        api = current_app.extensions["gpujobs_api"]
        checks = {
            "dynamodb": _timed(lambda: api.store.db.describe_table(TableName=api.store.table_name)),
            "sqs": _timed(lambda: api.sqs.get_queue_attributes(
                QueueUrl=api.submitter.queue_url, AttributeNames=["QueueArn"])),
        }
        healthy = all(c.ok for c in checks.values())
        body = HealthResponse(status="healthy" if healthy else "unhealthy",
                              checks=checks if g.get("caller") is not None else None)
        response = jsonify(body.model_dump(mode="json", exclude_none=True))
        response.status_code = 200 if healthy else 503
        return response

    return bp
