"""Routes for jobs: one submit and one status route per workflow folder, the status of any job, the
caller's job list, cancel, deleting a finished job's results, and presigned uploads of input images.

Every route acts for the caller's tenant (flask.g.caller, set by the app's key check): another
tenant's job is answered exactly as an unknown one (404), so ids cannot be probed.

The routes and their request models come from the workflow folders (gpujobs.workflows): adding a
folder adds `POST /api/v1/<name>/jobs` and `GET /api/v1/<name>/jobs/{job_id}`, documented in the
OpenAPI document with the folder's fields, limits and descriptions.

Bodies are parsed here before flask-openapi3 validates them against the workflow's model, so a
wrong content type is a 415 and broken JSON a 400 rather than a generic validation error.
"""

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from werkzeug.exceptions import BadRequest

from gpujobs.capacity_policy import CapacityState
from gpujobs.errors import TransitionRejected
from gpujobs.task_message import TASK_ID_PATTERN
from gpujobs.task_model import CANCELLED_BY_CLIENT, Task, TaskStatus
from gpujobs.workflow_spec import WorkflowSpec
from gpujobs.workflows import Workflows
from services.api.api_errors import (
    ApiError,
    InvalidRequest,
    JobNotFound,
    MalformedJson,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from services.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from services.api.job_schemas import (
    GPU_STATES,
    AcceptedJob,
    ErrorResponse,
    Job,
    JobList,
    JobPath,
    ListQuery,
    UploadRequest,
    UploadTarget,
)
from services.api.job_submission import AWS_ERRORS, aws_error_code

API_PREFIX = "/api/v1"
_TASK_ID = re.compile(TASK_ID_PATTERN)

# Errors any job operation may answer; listed so the document describes every response.
COMMON_ERRORS: dict[Any, Any] = {
    401: ErrorResponse, 404: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse,
    500: ErrorResponse, 503: ErrorResponse,
}
SUBMIT_ERRORS: dict[Any, Any] = {400: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse}
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "description": "Makes a retried submit answer with the job the first one made (24 h, per tenant): 409 while "
                   "the first is still running, 422 with another body. 1-255 visible ASCII characters, "
                   "optionally in double quotes.",
    "schema": {"type": "string", "maxLength": 257},
}


def services() -> Any:
    return current_app.extensions["gpujobs_api"]


def job_location(job_id: str) -> str:
    return f"{API_PREFIX}/jobs/{job_id}"


class JobFinished(ApiError):
    status, code = 409, "job_finished"


# Deepest nesting of arrays and objects a request body may have; a job's inputs are one flat object.
MAX_JSON_DEPTH = 32

# How many times a cancel re-reads a job that changed state under it before giving up (503).
CANCEL_ATTEMPTS = 3


def _table_unavailable(exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable("the task store is unavailable; retry later",
                              {"dependency": "dynamodb", "error": aws_error_code(exc)}, {"Retry-After": "5"})


def _nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in `value` nest more than `limit` levels; iterative, so any depth is safe."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _parse_json_body() -> None:
    """415 unless JSON, 400 if it does not parse or nests deeper than MAX_JSON_DEPTH, 422 unless it is
    an object. The parser recurses, so a deep enough body raises RecursionError at a depth that depends
    on the stack in use; the explicit bound answers every such body the same way."""
    if not request.is_json:
        raise UnsupportedMediaType("Content-Type must be application/json")
    too_deep = MalformedJson(f"request body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels")
    try:
        body = request.get_json()
    except BadRequest:
        raise MalformedJson("request body is not valid JSON") from None
    except RecursionError:
        raise too_deep from None
    if _nests_deeper_than(body, MAX_JSON_DEPTH):
        raise too_deep
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object",
                             [{"loc": [], "msg": "must be a JSON object", "type": "dict_type"}])


class JobNotFinished(ApiError):
    status, code = 409, "job_not_finished"


# queue_position counts at most this many jobs ahead (one bounded COUNT Query of the status index).
QUEUE_POSITION_LIMIT = 1000


def _job(task: Task, capacity: CapacityState | None = None, *, status_view: bool = False) -> dict[str, Any]:
    """The job as clients see it; `status_view` (one job's status) adds its GPU's state and its place in the
    queue, which cost a call each, so lists and writes leave them null."""
    api = services()
    live: dict[str, Any] = {}
    if task.status is TaskStatus.COMPLETED:
        live["result_url"] = api.objects.result_url(task.result_s3_uri)
    if status_view and not task.status.terminal:
        state = api.gpu.observed_state() if api.gpu is not None else None
        live["gpu"] = GPU_STATES.get(state, "unknown") if state is not None else None
        live["queue_position"] = _queue_position(task) if task.status is TaskStatus.PENDING else None
    return Job.from_task(task, api.workflows.name_of(task.job_type), capacity, **live).model_dump(mode="json")


def _queue_position(task: Task) -> int | None:
    """Pending jobs created in an earlier second than `task`; None when the table does not answer."""
    try:
        return services().store.count_pending_before(task.created_at, QUEUE_POSITION_LIMIT)
    except AWS_ERRORS:
        return None


def _submit_view(workflow: WorkflowSpec) -> Callable[..., Response]:
    def submit(body: Any) -> Response:
        tenant = g.caller.tenant

        def run(job_id: str | None = None) -> Task:
            cap = services().waiting_cap
            try:
                retry_after = cap.retry_after(tenant)
            except AWS_ERRORS as exc:
                raise _table_unavailable(exc) from None
            if retry_after is not None:
                raise RateLimited(f"this tenant has {cap.cap} or more jobs waiting; retry later",
                                  {"max_waiting_jobs": cap.cap}, {"Retry-After": str(retry_after)})
            made = services().submitter.submit(workflow, body, tenant, job_id)
            cap.submitted(tenant)
            return made

        key = request.headers.get(IDEMPOTENCY_HEADER)
        replayed = False
        if key is None:
            task = run()
        else:
            try:
                task, replayed = services().idempotent.submit(tenant, key, request.get_json(), run)
            except AWS_ERRORS as exc:
                raise _table_unavailable(exc) from None
        response = jsonify(_job(task))
        response.status_code = 202
        response.headers["Location"] = job_location(task.task_id)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    submit.__annotations__["body"] = workflow.request_model
    submit.__name__ = f"submit_{workflow.name.replace('-', '_')}"
    about = f"{workflow.description}\n\n" if workflow.description else ""
    submit.__doc__ = (
        f"Submit a {workflow.name} job.\n\n{about}Answers 202 at once with the job; the GPU is started when it "
        "is stopped (in the multi-region mode, by the pool the job is sent to). Poll the Location header for "
        "the outcome. With an `Idempotency-Key` header, a repeat of the same body within 24 h answers with the "
        "same job (409 while the first is still running, 422 for another body)."
    )
    return submit


def _own_task(job_id: str, workflow: WorkflowSpec | None = None) -> Task:
    """The caller's task `job_id` (of `workflow` when given); 404 for anyone else's or none."""
    if not _TASK_ID.match(job_id):
        raise JobNotFound(f"no job with id {job_id[:80]!r}")
    try:
        task = services().store.find(job_id)
    except AWS_ERRORS as exc:
        raise _table_unavailable(exc) from None
    if (task is None or task.tenant != g.caller.tenant
            or (workflow is not None and task.job_type != workflow.api_path)):
        raise JobNotFound(f"no job with id {job_id!r}" + (f" for {workflow.name}" if workflow else ""))
    return task


def _find_job(job_id: str, workflow: WorkflowSpec | None) -> Response:
    task = _own_task(job_id, workflow)
    return jsonify(_job(task, _pool_capacity(task), status_view=True))


def _pool_capacity(task: Task) -> CapacityState | None:
    """The single pool's capacity state while a job waits (one more read; a failed one shows nothing), its
    instance's or its fleet's. In the multi-region mode (neither set) a waiting job's pool is not known yet."""
    settings = services().settings
    if task.status is not TaskStatus.PENDING or not (settings.gpu_instance_id or settings.fleet_group):
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


def encode_cursor(key: dict[str, Any]) -> str:
    """An opaque cursor for a tenant index key. It names only a job id and a time: the tenant always
    comes from the caller's key, so a cursor made up by hand can only move within the caller's jobs."""
    raw = json.dumps({"id": key["task_id"]["S"], "at": int(key["created_at"]["N"])}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, tenant: str) -> dict[str, Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        job_id, at = raw["id"], raw["at"]
        valid = isinstance(job_id, str) and _TASK_ID.match(job_id) and isinstance(at, int) and 0 <= at < 2**53
    except (ValueError, binascii.Error, TypeError, KeyError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidRequest("cursor: not a cursor this API gave out",
                             [{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}])
    return {"task_id": {"S": job_id}, "tenant": {"S": tenant}, "created_at": {"N": str(at)}}


def _list_jobs(query: ListQuery) -> Response:
    """The caller's jobs, newest first, one page; `status` and `workflow` narrow them."""
    tenant = g.caller.tenant
    job_type = None
    if query.workflow is not None:
        workflow = services().workflows.by_name.get(query.workflow)
        if workflow is None:
            raise InvalidRequest(f"workflow: no workflow named {query.workflow[:100]!r}",
                                 [{"loc": ["query", "workflow"], "msg": "unknown workflow", "type": "value_error"}])
        job_type = workflow.api_path
    start = decode_cursor(query.cursor, tenant) if query.cursor else None
    try:
        tasks, next_key = services().store.list_for_tenant(tenant, query.limit, start, query.status, job_type)
    except AWS_ERRORS as exc:
        raise _table_unavailable(exc) from None
    return jsonify({"jobs": [_job(t) for t in tasks],
                    "next_cursor": encode_cursor(next_key) if next_key else None})


def _cancel(job_id: str) -> Response:
    """pending -> cancelled at once (200); processing -> cancel_requested for its worker (202); finished -> 409.
    Each step is a conditional write: when the job moved meanwhile, the refusal carries the row as it is now
    and the next step follows from that, so exactly one outcome is ever recorded."""
    store = services().store
    task: Task | None = _own_task(job_id)
    for _ in range(CANCEL_ATTEMPTS):
        assert task is not None
        now = int(time.time())
        try:
            if task.status is TaskStatus.PENDING:
                store.cancel_pending(task.task_id, now, CANCELLED_BY_CLIENT)
                return _after_cancel(task.task_id, 200)
            if task.status is TaskStatus.PROCESSING:
                if not task.cancel_requested:
                    store.request_cancel(task.task_id, now)
                return _after_cancel(task.task_id, 202)
        except TransitionRejected as exc:
            task = exc.task
            if task is None:
                raise JobNotFound(f"no job with id {job_id!r}") from None
            continue
        except AWS_ERRORS as exc:
            raise _table_unavailable(exc) from None
        raise JobFinished(f"the job is {task.status.value} already; nothing to cancel",
                          {"status": task.status.value})
    raise ServiceUnavailable("the job kept changing state; retry", {"job_id": job_id}, {"Retry-After": "1"})


def _after_cancel(job_id: str, status: int) -> Response:
    try:
        task = services().store.get(job_id)
    except AWS_ERRORS as exc:
        raise _table_unavailable(exc) from None
    response = jsonify(_job(task))
    response.status_code = status
    return response


def _delete_results(job_id: str) -> Response:
    """Delete a finished job's result objects, then clear them from its row (a conditional write: only a
    finished job of the caller's tenant). A job not finished is left as it is (409): a finished job never
    changes state again, so objects are deleted only for a job that stays finished."""
    api = services()
    task = _own_task(job_id)
    if not task.status.terminal:
        raise JobNotFinished(f"the job is {task.status.value}; only a finished job's results can be deleted "
                             "(cancel it first)", {"status": task.status.value})
    prefix = api.objects.result_prefix(task.result_s3_uri, task.task_id, task.comfy_job_id)
    try:
        if prefix is not None:
            api.objects.delete_results(prefix)
        cleared = api.store.clear_results(task.task_id, g.caller.tenant, int(time.time()))
    except TransitionRejected:  # the row went away (its TTL) between the read and the write
        raise JobNotFound(f"no job with id {job_id!r}") from None
    except AWS_ERRORS as exc:
        raise ServiceUnavailable("the task store or the results bucket is unavailable; retry later",
                                 {"error": aws_error_code(exc)}, {"Retry-After": "5"}) from None
    return jsonify(_job(cleared))


def _presign_upload(body: UploadRequest) -> Response:
    try:
        target = services().objects.upload(g.caller.tenant, body.content_type)
    except LookupError as exc:
        raise ServiceUnavailable(str(exc), {"dependency": "s3"}) from None
    except AWS_ERRORS as exc:  # only without credentials to sign with
        raise ServiceUnavailable("cannot sign an upload; retry later", {"error": aws_error_code(exc)},
                                 {"Retry-After": "5"}) from None
    response = jsonify(UploadTarget(s3_uri=target.s3_uri, url=target.url, headers=target.headers,
                                    expires_in=target.expires_in).model_dump(mode="json"))
    response.status_code = 201
    return response


def jobs_blueprint(workflows: Workflows) -> APIBlueprint:
    """The job routes of these workflows; every one needs an API key."""
    bp = APIBlueprint("jobs", __name__, url_prefix=API_PREFIX, abp_tags=[Tag(name="jobs")],
                      abp_responses=COMMON_ERRORS, abp_security=[{"ApiKey": []}, {"Bearer": []}])

    @bp.before_request
    def _before() -> None:
        if request.method == "POST" and not request.path.endswith("/cancel"):
            _parse_json_body()

    @bp.get("/jobs", responses={200: JobList}, summary="The caller's jobs", operation_id="list_jobs")
    def list_jobs(query: ListQuery) -> Response:
        """The caller's jobs, newest first, a page at a time (`next_cursor`); `status` and `workflow` (its
        name) narrow the list. Read from the tenant index, which follows writes within about a second."""
        return _list_jobs(query)

    @bp.post("/jobs/<job_id>/cancel", responses={200: Job, 202: Job, 409: ErrorResponse},
             summary="Cancel a job", operation_id="cancel_job")
    def cancel_job(path: JobPath) -> Response:
        """A pending job ends cancelled at once (200) and never runs. A processing job is marked
        `cancel_requested` (202): its worker cancels it on the GPU at its next heartbeat and it ends
        cancelled, unless it ended first. A finished job is left as it is (409)."""
        return _cancel(path.job_id)

    @bp.delete("/jobs/<job_id>", responses={200: Job, 409: ErrorResponse}, summary="Delete a job's results",
               operation_id="delete_job")
    def delete_job(path: JobPath) -> Response:
        """Deletes a finished job's result objects; the job stays listed with `result_s3_uri` and `result_url`
        null and `results_deleted_at` set. A job not finished is left as it is (409): cancel it first.
        Repeating the call answers the same."""
        return _delete_results(path.job_id)

    @bp.post("/uploads", responses={201: UploadTarget, 400: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse},
             summary="Upload an input image",
             operation_id="create_upload", tags=[Tag(name="uploads")])
    def create_upload(body: UploadRequest) -> Response:
        """A presigned PUT for one input image under the caller's own prefix of the results bucket, valid for
        UPLOAD_URL_EXPIRY_S (15 min by default). PUT the bytes with the given headers, then pass `s3_uri` as
        an image input. Uploads expire with the bucket's retention of results."""
        return _presign_upload(body)

    status_responses = {200: Job}
    bp.get("/jobs/<job_id>", responses=status_responses, summary="Status of any job",
           operation_id="get_job")(_status_view(None))
    for workflow in workflows:
        submit_path = workflow.api_path.removeprefix(API_PREFIX)
        bp.post(
            submit_path, responses={202: AcceptedJob, **SUBMIT_ERRORS},
            summary=f"Submit a {workflow.name} job", operation_id=f"submit_{workflow.name}_job",
            openapi_extensions={"parameters": [IDEMPOTENCY_PARAMETER]},
        )(_submit_view(workflow))
        bp.get(
            f"{submit_path}/<job_id>", responses=status_responses,
            summary=f"Status of a {workflow.name} job", operation_id=f"get_{workflow.name}_job",
        )(_status_view(workflow))
    return bp
