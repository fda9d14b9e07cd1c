"""Response and path models of the public API; the OpenAPI document is generated from these.

The job representation keeps the design's four fields (`job_id`, `status`, `result_s3_uri`,
`error`); the others are additive (docs/http-api.md).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gpujobs.task_model import Task, TaskStatus


class JobPath(BaseModel):
    job_id: str = Field(description="The job id returned by a submit")


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

    @classmethod
    def from_task(cls, task: Task, workflow: str | None) -> "Job":
        """`workflow` is the name of the task's workflow (None for a path no folder serves)."""
        return cls(
            job_id=task.task_id,
            status=task.status,
            result_s3_uri=task.result_s3_uri,
            error=task.error_message,
            workflow=workflow,
            created_at=task.created_at,
            updated_at=task.updated_at,
            attempts=task.attempts,
            progress=task.progress,
            pool=task.pool,
        )


class AcceptedJob(Job):
    """The submit response: the job, and where to poll it."""

    model_config = ConfigDict(openapi_extra={"headers": {"Location": {
        "description": "Path of the job's status, /api/v1/jobs/{job_id}", "required": True,
        "schema": {"type": "string"},
    }}})


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
    status: Literal["healthy", "degraded"]
    checks: dict[str, DependencyCheck]
