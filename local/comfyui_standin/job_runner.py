"""Jobs kept in memory and run on a thread pool, like the real Unified API.

Memory is the point: a restarted stand-in forgets every job and answers 404 for it, which is how
the worker learns that a run was lost and must be resubmitted. Failures of the input (image not
found, not an image) fail the job at run time, as the real service does; the HTTP layer only
rejects bodies that do not validate.
"""

import logging
import random
import threading
import time
import uuid
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.workflows import CameraAngleRequest, QwenImageEditRequest, Workflow, WorkflowRequest
from local.comfyui_standin import image_edits
from local.comfyui_standin.image_fetch import ImageFetcher, ImageUnavailable
from local.comfyui_standin.result_store import ResultStore
from local.comfyui_standin.standin_config import StandinConfig

log = logging.getLogger(__name__)

MAX_REMEMBERED_JOBS = 10_000


@dataclass
class Job:
    job_id: str
    workflow: Workflow
    request: WorkflowRequest
    status: str = "pending"
    result_s3_uri: str | None = None
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The status document: the contract's fields first, then additive ones."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "result_s3_uri": self.result_s3_uri,
            "error": self.error,
            "workflow": self.workflow.name,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "details": self.details,
        }


class InjectedFailure(RuntimeError):
    """A failure the configured failure rate asked for."""


class JobRunner:
    def __init__(self, config: StandinConfig, results: ResultStore, fetcher: ImageFetcher | None = None) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._random = random.Random(config.seed)
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="standin-job")
        self.fetcher = fetcher or ImageFetcher(config.max_image_bytes, config.fetch_timeout_s)
        self.results = results
        self.submitted: Counter[str] = Counter()

    @property
    def config(self) -> StandinConfig:
        return self._config

    def reconfigure(self, **changes: Any) -> StandinConfig:
        """Change latency or failure settings at run time (tests make a live service flaky)."""
        with self._lock:
            self._config = replace(self._config, **changes)
            if "seed" in changes:
                self._random = random.Random(self._config.seed)
            return self._config

    def roll_failure(self, mode: str) -> bool:
        """True when this request or job should fail under the configured rate and mode."""
        with self._lock:
            if self._config.failure_mode != mode or self._config.failure_rate <= 0:
                return False
            return self._random.random() < self._config.failure_rate

    def submit(self, workflow: Workflow, request: WorkflowRequest) -> Job:
        job = Job(job_id=str(uuid.uuid4()), workflow=workflow, request=request)
        with self._lock:
            self._jobs[job.job_id] = job
            self.submitted[workflow.name] += 1
            self._forget_old()
        self._pool.submit(self._run, job)
        log.info("job accepted", extra={"job_id": job.job_id, "workflow": workflow.name})
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(Counter(job.status for job in self._jobs.values()))

    def shutdown(self, wait_s: float = 5.0) -> None:
        """Stop taking work; jobs still running get up to wait_s to end (their sleep is cut short)."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait_s
        for thread in list(getattr(self._pool, "_threads", ())):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _forget_old(self) -> None:
        while len(self._jobs) > MAX_REMEMBERED_JOBS:
            oldest_id, oldest = next(iter(self._jobs.items()))
            if oldest.status not in ("completed", "failed"):
                break
            del self._jobs[oldest_id]

    def _set(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def _run(self, job: Job) -> None:
        if self._stop.is_set():
            return
        self._set(job, status="processing", started_at=time.time())
        log.info("job processing", extra={"job_id": job.job_id})
        try:
            if self._stop.wait(self._config.latency_s):
                raise InjectedFailure("the service is shutting down")
            if self.roll_failure("job"):
                raise InjectedFailure(f"injected failure (failure rate {self._config.failure_rate})")
            png, details = self._render(job)
            uri = self.results.put_png(job.workflow.name, job.job_id, png)
        except (ImageUnavailable, image_edits.ImageUnreadable, InjectedFailure) as exc:
            self._finish(job, status="failed", error=str(exc))
        except (ClientError, BotoCoreError) as exc:
            self._finish(job, status="failed", error=f"could not write the result to S3: {type(exc).__name__}")
        except Exception:
            log.exception("job crashed", extra={"job_id": job.job_id})
            self._finish(job, status="failed", error="internal error while running the workflow")
        else:
            self._finish(job, status="completed", result_s3_uri=uri, details=details)

    def _finish(self, job: Job, **changes: Any) -> None:
        self._set(job, finished_at=time.time(), **changes)
        duration = round((job.finished_at or 0) - (job.started_at or 0), 3)
        log.info("job %s", job.status,
                 extra={"job_id": job.job_id, "duration_s": duration, "error": job.error,
                        "result_s3_uri": job.result_s3_uri})

    def _render(self, job: Job) -> tuple[bytes, dict[str, Any]]:
        request = job.request
        seed = request.seed if request.seed is not None else self._config.seed
        image = image_edits.decode(self.fetcher.fetch(request.image_url))
        if isinstance(request, CameraAngleRequest):
            out, details = image_edits.camera_angle(image, request.prompt, seed)
        elif isinstance(request, QwenImageEditRequest):
            references = [
                image_edits.decode(self.fetcher.fetch(url), what=f"reference image {url}")
                for url in (request.image2_url, request.image3_url) if url
            ]
            out, details = image_edits.image_edit(image, references, request.prompt, seed, request.denoise)
        else:  # pragma: no cover - the registry holds only the two models
            raise TypeError(f"no renderer for {type(request).__name__}")
        details.update({"width": out.width, "height": out.height, "seed": seed})
        return image_edits.encode_png(out), details
