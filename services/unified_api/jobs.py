"""Jobs over ComfyUI: submit, status, cancel, and the watcher that finishes each job once.

ComfyUI's queue and history are the record. A job's id is the ComfyUI prompt_id, derived from the
worker's task id, and everything needed to finish the job later (workflow, uploaded file names,
output nodes, seed) travels in the prompt's extra_data, which ComfyUI keeps in its queue and
history. So a restarted Unified API knows every job ComfyUI knows: it adopts queued ones at start
and finishes completed ones when asked, and an id ComfyUI does not know is JobNotFound (404).
What lives in memory is a cache: progress from the websocket, a watcher per running job, the
outcomes already reported, and the cancellations of jobs ComfyUI never started.

The result is written once: each object with S3's conditional write (only if absent),
output-<n>.png first and output.png last, so the presence of output.png means the job is
complete, whichever process finished it.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gpujobs.workflow_spec import WorkflowSpec
from services.unified_api.comfy_client import ComfyClient, ComfyUnavailable
from services.unified_api.comfy_events import EventStream
from services.unified_api.input_fetch import InputFetcher, image_format
from services.unified_api.result_store import ResultStore

log = logging.getLogger(__name__)

JOB_NAMESPACE = uuid.UUID("6f1c1d52-3a0e-4d5e-9a57-9c1f3b0e2d41")
EXTRA_KEY = "gpujobs"
OUTCOME_CACHE = 1000
EARLY_JOBS = 64  # prompts whose events arrived before their watcher
EARLY_EVENTS_PER_JOB = 256


def job_id_for(task_id: str) -> str:
    """The ComfyUI prompt_id of a task: the same task always gets the same id."""
    return str(uuid.uuid5(JOB_NAMESPACE, task_id))


class UnknownWorkflow(LookupError):
    pass


class VersionMismatch(ValueError):
    pass


class JobNotFound(LookupError):
    pass


@dataclass
class JobView:
    job_id: str
    status: str
    workflow: str | None = None
    result_s3_uri: str | None = None
    error: str | None = None
    progress: float = 0.0
    task_id: str | None = None
    seed: int | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "status": self.status, "result_s3_uri": self.result_s3_uri,
                "error": self.error, "progress": round(self.progress, 4), "workflow": self.workflow,
                "task_id": self.task_id, "seed": self.seed}


@dataclass
class ActiveJob:
    """What this process knows of a job ComfyUI holds: events, progress, why it was stopped."""

    job_id: str
    meta: dict[str, Any]
    total_nodes: int
    started: float
    status: str = "pending"
    stop_reason: str | None = None  # "cancelled" or "timeout" once we asked ComfyUI to stop it
    seen_nodes: set[str] = field(default_factory=set)
    cached_nodes: int = 0
    node_fraction: float = 0.0
    ended: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    last_poll: float = 0.0

    @property
    def progress(self) -> float:
        total = max(1, self.total_nodes - self.cached_nodes)
        done = max(0, len(self.seen_nodes) - 1) + self.node_fraction
        return min(0.99, done / total)

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "execution_start":
            self.status = "processing"
        elif kind == "execution_cached":
            self.cached_nodes = len(data.get("nodes") or [])
        elif kind == "executing":
            node = data.get("node")
            if node is None:
                self.ended.set()
            else:
                self.status = "processing"
                self.seen_nodes.add(str(node))
                self.node_fraction = 0.0
        elif kind == "progress":
            maximum = data.get("max") or 0
            if maximum:
                self.node_fraction = min(1.0, float(data.get("value", 0)) / float(maximum))
        elif kind in ("execution_error", "execution_interrupted"):
            self.ended.set()


class JobService:
    def __init__(self, workflows: dict[str, WorkflowSpec], comfy: ComfyClient, fetcher: InputFetcher,
                 store: ResultStore, client_id: str, *, comfyui_dir: Path | None = None,
                 job_timeout_s: float = 1800.0, poll_interval_s: float = 1.0, ws_silence_s: float = 10.0,
                 history_wait_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.workflows = workflows
        self.comfy = comfy
        self.fetcher = fetcher
        self.store = store
        self.client_id = client_id
        self.comfyui_dir = comfyui_dir
        self.job_timeout_s = job_timeout_s
        self.poll_interval_s = poll_interval_s
        self.ws_silence_s = ws_silence_s
        self.history_wait_s = history_wait_s
        self.clock = clock
        self.events: EventStream | None = None
        self._lock = threading.Lock()
        self._job_locks: dict[str, Any] = {}  # job id -> RLock, dropped with the cached outcome
        self._active: dict[str, ActiveJob] = {}
        # Events of a prompt ComfyUI started before its submit registered the watcher (it may run at
        # once): kept briefly, replayed when the job is watched, so its progress counts every node.
        self._early: OrderedDict[str, list[tuple[str, dict[str, Any]]]] = OrderedDict()
        self._outcomes: OrderedDict[str, JobView] = OrderedDict()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="input")

    # lifecycle

    def attach_events(self, events: EventStream) -> None:
        self.events = events

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        """Called on the event thread for every ComfyUI event."""
        prompt_id = data.get("prompt_id")
        if not prompt_id:
            return
        with self._lock:
            job = self._active.get(prompt_id)
            if job is not None:
                job.on_event(kind, data)
                return
            early = self._early.setdefault(prompt_id, [])
            if len(early) < EARLY_EVENTS_PER_JOB:
                early.append((kind, data))
            while len(self._early) > EARLY_JOBS:
                self._early.popitem(last=False)

    def adopt_queued(self) -> int:
        """Watch every job of ours that ComfyUI still has queued or running (after a restart)."""
        running, pending = self.comfy.queue()
        adopted = 0
        for item in running + pending:
            meta = _meta(item)
            if meta is not None and item[1] not in self._active:
                self._watch(item[1], meta, len(item[2]), "processing" if item in running else "pending")
                adopted += 1
        return adopted

    def stop(self) -> None:
        self._stop.set()

    def _job_lock(self, job_id: str) -> Any:
        with self._lock:
            return self._job_locks.setdefault(job_id, threading.RLock())

    # submit

    def submit(self, workflow: str, body: Any, task_id: str | None, workflow_hash: str | None) -> tuple[JobView, bool]:
        """Queue the job in ComfyUI unless it is there already; (view, created)."""
        spec = self.workflows.get(workflow)
        if spec is None:
            raise UnknownWorkflow(workflow)
        if workflow_hash and workflow_hash != spec.content_hash:
            raise VersionMismatch(
                f"workflow {workflow!r} differs between the sender (version {workflow_hash[:12]}) and this GPU "
                f"host (version {spec.content_hash[:12]}): update one of them so both run the same graph")
        request = spec.validate(body)  # raises ValidationError
        task_id = task_id or str(uuid.uuid4())
        job_id = job_id_for(task_id)
        values = request.model_dump()
        with self._job_lock(job_id):
            # The downloads start now and overlap ComfyUI's answer to "do you have this job already?".
            deadline = self.clock() + self.fetcher.timeout_s
            downloads = {name: self._pool.submit(self.fetcher.fetch, values[name], deadline)
                         for name in spec.image_fields if values.get(name)}
            try:
                existing = self._lookup(job_id)
            except BaseException:
                _abandon(downloads)
                raise
            if existing is not None:
                _abandon(downloads)
                return existing, False
            self._outcomes.pop(job_id, None)
            uploaded: dict[str, str] = {}
            try:
                for name, download in downloads.items():
                    data = download.result()
                    extension, content_type = image_format(data, values[name])
                    field_name = name.removesuffix("_url")
                    uploaded[name] = self.comfy.upload_image(f"gpujobs-{job_id}-{field_name}.{extension}", data,
                                                             content_type)
                injected = spec.inject(request, uploaded)
                prompt = injected.prompt
                for node_id in spec.output_node_ids:
                    if "filename_prefix" in prompt[node_id]["inputs"]:
                        prompt[node_id]["inputs"]["filename_prefix"] = f"gpujobs/{job_id}"
                meta = {"task_id": task_id, "workflow": workflow, "workflow_hash": spec.content_hash,
                        "seed": injected.seed, "inputs": sorted(uploaded.values()),
                        "outputs": list(spec.output_node_ids)}
                answer = self.comfy.post_prompt(prompt, job_id, self.client_id, {EXTRA_KEY: meta})
            except BaseException:
                _abandon(downloads)
                self._remove_files(list(uploaded.values()), [])
                raise
            if answer.get("node_errors"):
                log.warning("job %s queued with errors in other outputs: %s", job_id, answer["node_errors"])
            self._watch(job_id, meta, len(prompt), "pending")
            log.info("job %s queued in ComfyUI for task %s (%s)", job_id, task_id, workflow)
            return JobView(job_id, "pending", workflow, task_id=task_id, seed=injected.seed), True

    # status

    def status(self, job_id: str, wait_s: float = 0.0) -> JobView:
        """The job's state; with `wait_s`, a running job's answer waits up to that long for its end."""
        outcome = self._outcomes.get(job_id)
        if outcome is not None:
            return outcome
        job = self._active.get(job_id)
        if job is not None and wait_s > 0 and job.finished.wait(wait_s) and job_id in self._outcomes:
            return self._outcomes[job_id]
        if job is not None:
            if not job.ended.is_set():
                return self._live_view(job)
            # ComfyUI announced the end: the watcher is finishing the job; its outcome is moments away.
            if job.finished.wait(self.history_wait_s) and job_id in self._outcomes:
                return self._outcomes[job_id]
        view = self._lookup(job_id)
        if view is None:
            raise JobNotFound(job_id)
        return view

    def _live_view(self, job: ActiveJob) -> JobView:
        return JobView(job.job_id, job.status, job.meta.get("workflow"), progress=job.progress,
                       task_id=job.meta.get("task_id"), seed=job.meta.get("seed"))

    def _lookup(self, job_id: str) -> JobView | None:
        """The job as ComfyUI has it: the queue first, then the history (a prompt leaves the queue only
        once its history entry is written, so reading in this order cannot miss it)."""
        outcome = self._outcomes.get(job_id)
        if outcome is not None:
            return outcome
        running, pending = self.comfy.queue()
        for items, state in ((running, "processing"), (pending, "pending")):
            for item in items:
                if item[1] == job_id:
                    meta = _meta(item)
                    if meta is None:
                        return None
                    job = self._active.get(job_id) or self._watch(job_id, meta, len(item[2]), state)
                    if state == "processing":
                        job.status = "processing"
                    return self._live_view(job)
        entry = self.comfy.history(job_id)
        if entry is None:
            return None
        return self._finish(job_id, entry)

    # finishing

    def _finish(self, job_id: str, entry: dict[str, Any]) -> JobView | None:
        """Turn a history entry into the job's outcome; writes the result the first time only."""
        prompt = entry.get("prompt") or []
        meta = _meta(prompt)
        if meta is None:
            return None
        with self._job_lock(job_id):
            outcome = self._outcomes.get(job_id)
            if outcome is not None:
                return outcome
            view = JobView(job_id, "failed", meta.get("workflow"), task_id=meta.get("task_id"), seed=meta.get("seed"))
            job = self._active.get(job_id)
            status = entry.get("status") or {}
            images = [image for node_id in meta.get("outputs", [])
                      for image in (entry.get("outputs", {}).get(node_id, {}).get("images") or [])]
            if status.get("status_str") == "success":
                if not images:
                    view.error = "the workflow finished without an output image"
                else:
                    view.result_s3_uri = self._write_result(job_id, meta["workflow"], images)
                    view.status, view.progress = "completed", 1.0
            else:
                view.status, view.error = describe_failure(status.get("messages") or [],
                                                           job.stop_reason if job else None)
            self._remove_files(meta.get("inputs", []), images)
            self._remember(view)
            self._active.pop(job_id, None)
            if job is not None:
                job.finished.set()
            log.info("job %s %s%s", job_id, view.status, f": {view.error}" if view.error else "")
            return view

    def _write_result(self, job_id: str, workflow: str, images: list[dict[str, Any]]) -> str:
        prefix = f"comfyui-results/{workflow}/{job_id}"
        main = f"{prefix}/output.png"
        for n, image in enumerate(images[1:], start=1):
            self.store.put_once(f"{prefix}/output-{n}.png", self.comfy.view(image))
        self.store.put_once(main, self.comfy.view(images[0]))
        return self.store.uri(main)

    def _remember(self, view: JobView) -> None:
        self._outcomes[view.job_id] = view
        self._outcomes.move_to_end(view.job_id)
        while len(self._outcomes) > OUTCOME_CACHE:
            forgotten, _view = self._outcomes.popitem(last=False)
            with self._lock:
                self._job_locks.pop(forgotten, None)

    def _remove_files(self, inputs: list[str], outputs: list[dict[str, Any]]) -> None:
        """ComfyUI has no route for this: only with COMFYUI_DIR, on the same host."""
        if self.comfyui_dir is None:
            return
        targets = [("input", "", name) for name in inputs]
        targets += [(o.get("type", "output"), o.get("subfolder", ""), o.get("filename", "")) for o in outputs]
        for kind, subfolder, name in targets:
            base = (self.comfyui_dir / kind).resolve()
            path = (base / subfolder / name).resolve()
            if name and path.is_relative_to(base):
                path.unlink(missing_ok=True)

    # cancel and time limit

    def cancel(self, job_id: str, reason: str = "cancelled") -> JobView:
        with self._job_lock(job_id):
            view = self.status(job_id)
            if view.finished:
                return view
            job = self._active.get(job_id)
            if job is not None:
                job.stop_reason = reason
            running, pending = self.comfy.queue()
            if any(item[1] == job_id for item in pending):
                self.comfy.delete_queued(job_id)
                running, pending = self.comfy.queue()
                if not any(item[1] == job_id for item in running):
                    stopped = JobView(job_id, "cancelled" if reason == "cancelled" else "failed", view.workflow,
                                      error=_stop_message(reason, self.job_timeout_s), task_id=view.task_id,
                                      seed=view.seed)
                    self._remember(stopped)
                    self._active.pop(job_id, None)
                    if job is not None:
                        self._remove_files(job.meta.get("inputs", []), [])
                        job.ended.set()
                        job.finished.set()
                    return stopped
            if any(item[1] == job_id for item in running):
                self.comfy.interrupt(job_id)
            return self.status(job_id)

    # watching

    def _watch(self, job_id: str, meta: dict[str, Any], total_nodes: int, state: str) -> ActiveJob:
        with self._lock:
            job = self._active.get(job_id)
            if job is not None:
                return job
            job = ActiveJob(job_id, meta, total_nodes, self.clock(), status=state)
            self._active[job_id] = job
            for kind, data in self._early.pop(job_id, []):
                job.on_event(kind, data)
        threading.Thread(target=self._watch_loop, args=(job,), name=f"watch-{job_id[:8]}", daemon=True).start()
        return job

    def _events_healthy(self, job: ActiveJob) -> bool:
        return self.events is not None and self.events.healthy(self.ws_silence_s, job.status == "processing")

    def _watch_loop(self, job: ActiveJob) -> None:
        """Wait for the end by events; poll the history when they cannot be trusted, and now and then anyway."""
        while not self._stop.is_set() and self._active.get(job.job_id) is job:
            healthy = self._events_healthy(job)
            wait = self.poll_interval_s if not healthy else max(self.poll_interval_s, self.ws_silence_s)
            ended = job.ended.wait(wait)
            if self._active.get(job.job_id) is not job:
                return
            try:
                if ended or not healthy or self.clock() - job.last_poll >= self.ws_silence_s:
                    job.last_poll = self.clock()
                    if self._poll(job, ended):
                        return
                if job.stop_reason is None and self.clock() - job.started > self.job_timeout_s:
                    log.warning("job %s ran past the time limit of %g s; stopping it", job.job_id, self.job_timeout_s)
                    self.cancel(job.job_id, reason="timeout")
            except ComfyUnavailable as exc:
                log.warning("watching job %s: %s", job.job_id, exc)
            except Exception:
                log.exception("watching job %s failed; will retry", job.job_id)

    def _poll(self, job: ActiveJob, ended: bool) -> bool:
        """True once the job is finished or lost."""
        entry = self.comfy.history(job.job_id)
        if entry is None and ended:
            # The end was announced; the history entry follows it closely.
            deadline = self.clock() + self.history_wait_s
            while entry is None and self.clock() < deadline:
                time.sleep(0.01)
                entry = self.comfy.history(job.job_id)
        if entry is not None:
            self._finish(job.job_id, entry)
            return True
        running, pending = self.comfy.queue()
        if any(item[1] == job.job_id for item in running + pending):
            if any(item[1] == job.job_id for item in running):
                job.status = "processing"
            job.ended.clear()
            return False
        entry = self.comfy.history(job.job_id)  # it may have finished between the two reads
        if entry is not None:
            self._finish(job.job_id, entry)
            return True
        log.warning("job %s is no longer known to ComfyUI (restarted?); it reads as not found", job.job_id)
        self._active.pop(job.job_id, None)
        job.ended.set()
        job.finished.set()
        return True


def _abandon(downloads: dict[str, Future]) -> None:
    for download in downloads.values():
        download.cancel()


def _meta(item: list[Any]) -> dict[str, Any] | None:
    """Our record inside a queue item or history prompt: [number, prompt_id, prompt, extra_data, outputs]."""
    if len(item) < 4 or not isinstance(item[3], dict):
        return None
    meta = item[3].get(EXTRA_KEY)
    return meta if isinstance(meta, dict) else None


def _stop_message(reason: str, limit_s: float) -> str:
    return f"the job ran past the time limit of {limit_s:g} s" if reason == "timeout" else "cancelled"


def describe_failure(messages: list[Any], stop_reason: str | None) -> tuple[str, str]:
    """(status, error) from a failed prompt's status messages."""
    for message in messages:
        if not isinstance(message, list | tuple) or len(message) != 2:
            continue
        kind, data = message
        if kind == "execution_error":
            return "failed", (f"node {data.get('node_id')} ({data.get('node_type')}) failed: "
                              f"{data.get('exception_type', 'Exception')}: {data.get('exception_message', '')}".strip())
        if kind == "execution_interrupted":
            if stop_reason == "timeout":
                return "failed", f"interrupted at node {data.get('node_id')}: the job ran past its time limit"
            return "cancelled", f"interrupted at node {data.get('node_id')} ({data.get('node_type')})"
    return "failed", "ComfyUI reported an error without details"


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
