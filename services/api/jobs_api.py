"""Routes for jobs: one submit and one status route per workflow folder, and the status of any job.

The routes and their request models come from the workflow folders (gpujobs.workflows): adding a
folder adds `POST /api/v1/<name>/jobs` and `GET /api/v1/<name>/jobs/{job_id}`, documented in the
OpenAPI document with the folder's fields, limits and descriptions.

Bodies are parsed here before flask-openapi3 validates them against the workflow's model, so a
wrong content type is a 415 and broken JSON a 400 rather than a generic validation error.
"""

import re
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from werkzeug.exceptions import BadRequest

from gpujobs.capacity_policy import CapacityState
from gpujobs.task_message import TASK_ID_PATTERN
from gpujobs.task_model import Task, TaskStatus
from gpujobs.workflow_spec import WorkflowSpec
from gpujobs.workflows import Workflows
from services.api.api_errors import (
    InvalidRequest,
    JobNotFound,
    MalformedJson,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from services.api.job_schemas import AcceptedJob, ErrorResponse, Job, JobPath
from services.api.job_submission import AWS_ERRORS, aws_error_code

API_PREFIX = "/api/v1"
_TASK_ID = re.compile(TASK_ID_PATTERN)

# Errors any job operation may answer; listed so the document describes every response.
COMMON_ERRORS: dict[Any, Any] = {
    401: ErrorResponse, 404: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse,
    500: ErrorResponse, 503: ErrorResponse,
}
SUBMIT_ERRORS: dict[Any, Any] = {400: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse}


def services() -> Any:
    return current_app.extensions["gpujobs_api"]


def job_location(job_id: str) -> str:
    return f"{API_PREFIX}/jobs/{job_id}"


def _parse_json_body() -> None:
    """415 unless JSON, 400 if it does not parse, 422 unless it is an object; 429 via the hook."""
    limiter = services().rate_limiter
    if limiter is not None:
        retry_after = limiter(request)
        if retry_after is not None:
            raise RateLimited("too many requests; retry later", None, {"Retry-After": str(int(retry_after))})
    if not request.is_json:
        raise UnsupportedMediaType("Content-Type must be application/json")
    try:
        body = request.get_json()
    except BadRequest:
        raise MalformedJson("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object",
                             [{"loc": [], "msg": "must be a JSON object", "type": "dict_type"}])


def _job(task: Task, capacity: CapacityState | None = None) -> dict[str, Any]:
    return Job.from_task(task, services().workflows.name_of(task.job_type), capacity).model_dump(mode="json")


def _submit_view(workflow: WorkflowSpec) -> Callable[..., Response]:
    def submit(body: Any) -> Response:
        task = services().submitter.submit(workflow, body)
        response = jsonify(_job(task))
        response.status_code = 202
        response.headers["Location"] = job_location(task.task_id)
        return response

    submit.__annotations__["body"] = workflow.request_model
    submit.__name__ = f"submit_{workflow.name.replace('-', '_')}"
    about = f"{workflow.description}\n\n" if workflow.description else ""
    submit.__doc__ = (
        f"Submit a {workflow.name} job.\n\n{about}Answers 202 at once with the job; the GPU is started when it "
        "is stopped (in the multi-region mode, by the pool the job is sent to). Poll the Location header for "
        "the outcome."
    )
    return submit


def _find_job(job_id: str, workflow: WorkflowSpec | None) -> Response:
    if not _TASK_ID.match(job_id):
        raise JobNotFound(f"no job with id {job_id[:80]!r}")
    try:
        task = services().store.find(job_id)
    except AWS_ERRORS as exc:
        raise ServiceUnavailable("the task store is unavailable; retry later",
                                 {"dependency": "dynamodb", "error": aws_error_code(exc)},
                                 {"Retry-After": "5"}) from None
    if task is None or (workflow is not None and task.job_type != workflow.api_path):
        raise JobNotFound(f"no job with id {job_id!r}" + (f" for {workflow.name}" if workflow else ""))
    return jsonify(_job(task, _pool_capacity(task)))


def _pool_capacity(task: Task) -> CapacityState | None:
    """The single pool's capacity state while a job waits (one more read; a failed one shows nothing).
    In the multi-region mode (no GPU_INSTANCE_ID) a waiting job's pool is not known yet."""
    if task.status is not TaskStatus.PENDING or not services().settings.gpu_instance_id:
        return None
    try:
        return services().store.capacity()
    except AWS_ERRORS:
        return None


def _status_view(workflow: WorkflowSpec | None) -> Callable[..., Response]:
    def job_status(path: JobPath) -> Response:
        return _find_job(path.job_id, workflow)

    suffix = workflow.name.replace("-", "_") if workflow else "any"
    job_status.__name__ = f"job_status_{suffix}"
    job_status.__doc__ = (
        "Status of a job.\n\nA consistent read of the task; 404 for an unknown id"
        + (f" or a job of another workflow than {workflow.name}." if workflow else ".")
    )
    return job_status


def jobs_blueprint(workflows: Workflows, secured: bool = False) -> APIBlueprint:
    """The job routes of these workflows; `secured` marks them as needing an API key in the document."""
    security = [{"ApiKey": []}, {"Bearer": []}] if secured else None
    bp = APIBlueprint("jobs", __name__, url_prefix=API_PREFIX, abp_tags=[Tag(name="jobs")],
                      abp_responses=COMMON_ERRORS, abp_security=security)

    @bp.before_request
    def _before() -> None:
        if request.method == "POST":
            _parse_json_body()

    status_responses = {200: Job}
    bp.get("/jobs/<job_id>", responses=status_responses, summary="Status of any job",
           operation_id="get_job")(_status_view(None))
    for workflow in workflows:
        submit_path = workflow.api_path.removeprefix(API_PREFIX)
        bp.post(
            submit_path, responses={202: AcceptedJob, **SUBMIT_ERRORS},
            summary=f"Submit a {workflow.name} job", operation_id=f"submit_{workflow.name}_job",
        )(_submit_view(workflow))
        bp.get(
            f"{submit_path}/<job_id>", responses=status_responses,
            summary=f"Status of a {workflow.name} job", operation_id=f"get_{workflow.name}_job",
        )(_status_view(workflow))
    return bp
