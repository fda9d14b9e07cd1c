"""The workflows the system runs, as typed request models, and the registry that maps paths to them.

Dispatch is by this explicit registry, never by a name taken from a message.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gpujobs.url_guard import UnsafeUrl, check_syntax


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


class CameraAngleRequest(BaseModel):
    """Body of POST /api/v1/camera-angle/jobs."""

    model_config = ConfigDict(extra="forbid")

    image_url: ImageUrl
    prompt: Prompt
    seed: Seed | None = None
    steps: int = Field(default=8, ge=1, le=100)

    def image_urls(self) -> list[str]:
        return [self.image_url]


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

    def image_urls(self) -> list[str]:
        return [u for u in (self.image_url, self.image2_url, self.image3_url) if u]


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
