"""Response and path models of the public API; the OpenAPI document is generated from these.

The job representation's first four fields (`job_id`, `status`, `result_s3_uri`, `error`) are the
original contract clients rely on; the others were added beside them (docs/http-api.md).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gpujobs.capacity_policy import CapacityState, next_try_at
from gpujobs.task_model import Task, TaskStatus, job_fields


class JobPath(BaseModel):
    job_id: str = Field(description="The job id returned by a submit")


class GpuCapacity(BaseModel):
    """Why a waiting job's GPU is not up: AWS had no GPU of the pool's types when the power run started it."""

    shortfalls: int = Field(description="Starts in a row that found no capacity for any of the types")
    since: int = Field(description="Epoch seconds of the latest one")
    retry_at: int = Field(description="Epoch seconds from which the power run tries again")
    types_tried: list[str] = Field(description="Instance types tried, preferred first")


# What a job's GPU is doing, from the instance's EC2 state: stopped or stopping -> asleep, pending -> starting,
# running -> running; anything else, or EC2 not answering -> unknown.
GpuState = Literal["asleep", "starting", "running", "unknown"]
GPU_STATES: dict[str, GpuState] = {"stopped": "asleep", "stopping": "asleep", "pending": "starting",
                                   "running": "running"}


class Job(BaseModel):
    """A job as clients see it (submit response and status)."""

    job_id: str
    status: TaskStatus
    result_s3_uri: str | None = None
    error: str | None = None
    workflow: str | None = Field(default=None, description="Workflow name, e.g. camera-angle")
    created_at: int = Field(description="Epoch seconds")
    updated_at: int = Field(description="Epoch seconds")
    attempts: int = Field(default=0, description="How many times a worker has started the job")
    progress: float | None = Field(
        default=None, ge=0, le=1,
        description="0-1 while processing, as the GPU last reported it (updated every heartbeat of the worker); "
                    "1 once completed; null before a worker reported any",
    )
    pool: str | None = Field(
        default=None,
        description="The GPU pool (its region, e.g. us-west-2) whose worker ran the job, in the multi-region "
                    "mode; null until a worker claims it, and always null with a single GPU pool",
    )
    started_at: int | None = Field(default=None, description="Epoch seconds a worker last started the job")
    finished_at: int | None = Field(default=None, description="Epoch seconds the job ended")
    cancel_requested: bool = Field(
        default=False,
        description="A cancel was asked for while the job was processing; its worker cancels it on the GPU at its "
                    "next heartbeat, and the job ends cancelled (or completed or failed, had it ended first)",
    )
    gpu_capacity: GpuCapacity | None = Field(
        default=None,
        description="Set while the job waits and AWS has no GPU for the pool (the power run retries with "
                    "backoff and tries the fallback types); null otherwise, and in the multi-region mode",
    )
    result_url: str | None = Field(
        default=None,
        description="A presigned HTTPS GET of `result_s3_uri`, valid for RESULT_URL_EXPIRY_S (1 h by default) "
                    "from this answer; null until the job completed, and after its results were deleted",
    )
    gpu: GpuState | None = Field(
        default=None,
        description="While the job is pending or processing, what its GPU instance is doing (a few seconds "
                    "old at most); null once it finished, and where the API has no instance of its own (an "
                    "autoscaled fleet, the multi-region mode)",
    )
    queue_position: int | None = Field(
        default=None, ge=0,
        description="While pending: how many pending jobs were created in an earlier second (0: next), "
                    "counted up to 1000; approximate (see docs/http-api.md); null otherwise",
    )
    gpu_seconds: int = Field(
        default=0, ge=0,
        description="Seconds GPU workers held the job, summed over its attempts; added as each attempt ends",
    )
    results_deleted_at: int | None = Field(
        default=None, description="Epoch seconds its result objects were deleted (DELETE); null otherwise")

    @classmethod
    def from_task(cls, task: Task, workflow: str | None, capacity: CapacityState | None = None,
                  **live: Any) -> "Job":
        """`workflow` is the name of the task's workflow (None for a path no folder serves); `capacity` is
        the pool's capacity state, shown while the task waits and the pool is short; `live` holds what the
        row does not (result_url, gpu, queue_position)."""
        short = capacity is not None and capacity.short and task.status is TaskStatus.PENDING
        return cls(
            **job_fields(task),
            workflow=workflow,
            gpu_capacity=GpuCapacity(
                shortfalls=capacity.shortfalls, since=capacity.last_shortfall_at or 0,
                retry_at=next_try_at(capacity) or 0, types_tried=list(capacity.types_tried),
            ) if short and capacity is not None else None,
            **live,
        )


class AcceptedJob(Job):
    """The submit response: the job, and where to poll it."""

    model_config = ConfigDict(openapi_extra={"headers": {"Location": {
        "description": "Path of the job's status, /api/v1/jobs/{job_id}", "required": True,
        "schema": {"type": "string"},
    }}})


class JobList(BaseModel):
    """A page of the caller's jobs, newest first."""

    jobs: list[Job]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TaskStatus | None = Field(default=None, description="Only jobs in this state")
    workflow: str | None = Field(default=None, max_length=100, description="Only jobs of this workflow (its name)")
    limit: int = Field(default=20, ge=1, le=100, description="Jobs per page")
    cursor: str | None = Field(default=None, max_length=2000, description="`next_cursor` of the previous page")


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/png", "image/jpeg", "image/webp"] = Field(
        default="image/png", description="The image's type; the PUT must send it as its Content-Type")


class UploadTarget(BaseModel):
    """Where to PUT one input image, and the s3:// URI to pass as a job's image input afterwards."""

    s3_uri: str = Field(description="Pass as an image input (e.g. image_url) of a submit")
    url: str = Field(description="Presigned HTTPS URL: PUT the image's bytes here")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(description="Headers the PUT must send exactly (Content-Type)")
    expires_in: int = Field(description="Seconds the URL stays valid")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error")
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorDetail


class DependencyCheck(BaseModel):
    ok: bool
    latency_ms: float
    error: str | None = None


class HealthResponse(BaseModel):
    """What anyone sees; with an API key, `checks` says how each dependency answered."""

    status: Literal["healthy", "unhealthy"]
    checks: dict[str, DependencyCheck] | None = None
