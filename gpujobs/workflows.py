"""The workflows the system runs, as typed request models, and the registry that maps paths to them.

Dispatch is by this explicit registry, never by a name taken from a message. A request is valid when
its model accepts it and every image URL passes the address check; the API (a submit) and the
worker (a message sent by hand for a task no row has) check both with `validate_request`'s parts.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from gpujobs.url_guard import Resolver, UnsafeUrl, check_fetchable, check_syntax, system_resolver


def _image_url(value: str) -> str:
    try:
        return check_syntax(value)
    except UnsafeUrl as exc:
        raise ValueError(str(exc)) from None


ImageUrl = Annotated[
    str,
    Field(min_length=6, max_length=2048, description="s3://bucket/key or https:// URL",
          examples=["s3://my-bucket/inputs/cat.png"]),
    AfterValidator(_image_url),
]
Prompt = Annotated[str, Field(min_length=1, max_length=4000, examples=["rotate the camera 30 degrees left"])]
Seed = Annotated[int, Field(ge=0, le=2**53 - 1)]

Sampler = Literal[
    "sa_solver", "lcm", "euler", "euler_ancestral", "er_sde", "heun", "dpm_2", "dpm_2_ancestral",
    "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "dpmpp_3m_sde", "ddim", "uni_pc", "res_multistep",
]
Scheduler = Literal[
    "simple", "normal", "beta", "karras", "exponential", "sgm_uniform", "ddim_uniform",
    "linear_quadratic", "kl_optimal",
]


IMAGE_URL_FIELDS = ("image_url", "image2_url", "image3_url")


class CameraAngleRequest(BaseModel):
    """Body of POST /api/v1/camera-angle/jobs."""

    model_config = ConfigDict(extra="forbid")

    image_url: ImageUrl
    prompt: Prompt
    seed: Seed | None = None
    steps: int = Field(default=8, ge=1, le=100)


class QwenImageEditRequest(BaseModel):
    """Body of POST /api/v1/qwen-image-edit/jobs; image2_url and image3_url are references."""

    model_config = ConfigDict(extra="forbid")

    image_url: ImageUrl
    prompt: Prompt
    image2_url: ImageUrl | None = None
    image3_url: ImageUrl | None = None
    steps: int = Field(default=4, ge=1, le=100)
    cfg: float = Field(default=1.0, ge=0.0, le=30.0)
    sampler_name: Sampler = "sa_solver"
    scheduler: Scheduler = "beta"
    denoise: float = Field(default=1.0, ge=0.0, le=1.0)
    seed: Seed | None = None


WorkflowRequest = CameraAngleRequest | QwenImageEditRequest


@dataclass(frozen=True)
class Workflow:
    name: str
    api_path: str
    request_model: type[CameraAngleRequest] | type[QwenImageEditRequest]


CAMERA_ANGLE = Workflow("camera-angle", "/api/v1/camera-angle/jobs", CameraAngleRequest)
QWEN_IMAGE_EDIT = Workflow("qwen-image-edit", "/api/v1/qwen-image-edit/jobs", QwenImageEditRequest)

WORKFLOWS: dict[str, Workflow] = {w.name: w for w in (CAMERA_ANGLE, QWEN_IMAGE_EDIT)}
BY_API_PATH: dict[str, Workflow] = {w.api_path: w for w in WORKFLOWS.values()}


class RequestInvalid(ValueError):
    """The request can never run; the message says why, `details` lists the faults by field."""

    def __init__(self, reason: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(reason)
        self.details = details or []


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """The first few faults of a pydantic validation, as `field: message; ...`."""
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def workflow_for(api_path: object) -> Workflow:
    """The workflow of `api_path`, or RequestInvalid naming the known ones."""
    workflow = BY_API_PATH.get(api_path) if isinstance(api_path, str) else None
    if workflow is None:
        raise RequestInvalid(f"unknown api_path {api_path!r:.100}; expected one of {sorted(BY_API_PATH)}")
    return workflow


def check_request_urls(request: WorkflowRequest, resolver: Resolver = system_resolver) -> None:
    """The address check on every image URL of a request whose model already accepted it."""
    for name in IMAGE_URL_FIELDS:
        url = getattr(request, name, None)
        if not url:
            continue
        try:
            check_fetchable(url, resolver)
        except UnsafeUrl as exc:
            reason = str(exc)[:300]
            raise RequestInvalid(f"{name}: {reason}", [{"loc": [name], "msg": reason, "type": "unsafe_url"}]) from None


def validate_request(api_path: object, request_body: object,
                     resolver: Resolver = system_resolver) -> tuple[Workflow, WorkflowRequest]:
    """Everything a submit checks: a known workflow, a body its model accepts, fetchable image URLs."""
    workflow = workflow_for(api_path)
    try:
        request = workflow.request_model.model_validate(request_body)
    except ValidationError as exc:
        raise RequestInvalid(f"invalid request_body: {describe_errors(exc)}") from None
    check_request_urls(request, resolver)
    return workflow, request


def stored_body(request: WorkflowRequest) -> dict[str, Any]:
    """The request as a task row stores it (and the worker sends it): JSON types, unset fields left out."""
    return request.model_dump(mode="json", exclude_none=True)
