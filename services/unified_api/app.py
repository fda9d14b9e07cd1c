"""The Unified API's HTTP routes: `create_app(config)` builds the app, its ComfyUI client and its jobs.

Worker contract (README.md): POST /api/v1/<workflow>/jobs with the client's body and the headers
X-Task-Id and X-Workflow-Hash; GET /api/v1/jobs/<id> (also under each workflow's path);
POST /api/v1/jobs/<id>/cancel; GET /health. Errors are JSON: {"error": {"code", "message", "details"}}.
"""

import logging
import time
from typing import Any

from flask import Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from gpujobs.workflow_spec import load_workflows
from services.unified_api.comfy_client import ComfyClient, ComfyUnavailable, PromptRejected
from services.unified_api.comfy_events import EventStream
from services.unified_api.input_fetch import InputFetcher, InputRefused, InputTransient
from services.unified_api.jobs import (
    JobNotFound,
    JobService,
    UnknownWorkflow,
    VersionMismatch,
    validation_details,
)
from services.unified_api.result_store import ResultStore
from services.unified_api.unified_config import UnifiedConfig, load_config

log = logging.getLogger(__name__)

TASK_ID_HEADER = "X-Task-Id"
HASH_HEADER = "X-Workflow-Hash"
HEALTH_CACHE_S = 30.0
MAX_WAIT_S = 20.0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: Any = None) -> tuple[Any, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return jsonify({"error": body}), status


def create_app(config: UnifiedConfig | None = None, *, fetcher: InputFetcher | None = None,
               start_background: bool = True) -> Flask:
    config = config or load_config()
    workflows = load_workflows(config.workflows_dir)
    comfy = ComfyClient(config.comfyui_url, config.comfyui_timeout_s)
    service = JobService(
        workflows, comfy, fetcher or InputFetcher(config.input_max_bytes, config.input_timeout_s),
        ResultStore(config.results_bucket), config.client_id, comfyui_dir=config.comfyui_dir,
        job_timeout_s=config.job_timeout_s, poll_interval_s=config.poll_interval_s,
        ws_silence_s=config.ws_silence_s, history_wait_s=config.history_wait_s)
    if config.comfyui_dir is None:
        log.warning("COMFYUI_DIR is not set: inputs and outputs stay in ComfyUI's folders after each job "
                    "(ComfyUI has no route to remove them)")
    if start_background:
        events = EventStream(config.comfyui_ws_url, config.client_id, service.on_event)
        service.attach_events(events)
        events.start()
        try:
            adopted = service.adopt_queued()
            if adopted:
                log.info("adopted %d job(s) ComfyUI still holds", adopted)
        except ComfyUnavailable as exc:
            log.warning("at start: %s; queued jobs are adopted when asked for", exc)

    app = Flask(__name__)
    app.config["UNIFIED"] = config
    app.extensions["jobs"] = service
    health_cache: dict[str, Any] = {"ok_until": 0.0}
    required = sorted(set().union(*(w.class_types for w in workflows.values())))

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Any, int]:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(ComfyUnavailable)
    def comfy_down(exc: ComfyUnavailable) -> tuple[Any, int]:
        return error_response(503, "comfyui_unavailable", str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int]:
        return error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"),
                              exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Any, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "unexpected error; see the Unified API's log")

    @app.get("/")
    def index() -> Any:
        return jsonify({"service": "comfyui-unified-api", "comfyui_url": config.comfyui_url,
                        "workflows": {n: {"api_path": w.api_path, "version": w.content_hash,
                                          "description": w.description} for n, w in workflows.items()},
                        "removes_files": config.comfyui_dir is not None})

    @app.get("/health")
    def health() -> Any:
        events = service.events
        body: dict[str, Any] = {"comfyui_url": config.comfyui_url,
                                "websocket": bool(events and events.connected)}
        if time.monotonic() < health_cache["ok_until"]:
            return jsonify({"status": "healthy", **body})
        try:
            available = set(comfy.object_info())
        except ComfyUnavailable as exc:
            return jsonify({"status": "starting", "reason": str(exc), **body}), 503
        missing = [name for name in required if name not in available]
        if missing:
            return jsonify({"status": "starting", "reason": "ComfyUI lacks nodes the workflows use",
                            "missing_nodes": missing, **body}), 503
        health_cache["ok_until"] = time.monotonic() + HEALTH_CACHE_S
        return jsonify({"status": "healthy", **body})

    @app.post("/api/v1/<workflow>/jobs")
    def submit(workflow: str) -> Any:
        body = request.get_json(silent=True)
        if body is None:
            raise ApiError(400, "malformed_json", "the body must be a JSON object")
        try:
            view, created = service.submit(workflow, body, request.headers.get(TASK_ID_HEADER) or None,
                                           request.headers.get(HASH_HEADER) or None)
        except UnknownWorkflow:
            raise ApiError(404, "unknown_workflow", f"no workflow {workflow!r} here",
                           {"workflows": sorted(workflows)}) from None
        except VersionMismatch as exc:
            raise ApiError(422, "workflow_version_mismatch", str(exc)) from None
        except ValidationError as exc:
            raise ApiError(422, "invalid_fields", "the request body does not match the workflow",
                           validation_details(exc)) from None
        except InputRefused as exc:
            raise ApiError(422, "input_unavailable", str(exc)) from None
        except InputTransient as exc:
            raise ApiError(503, "input_fetch_failed", str(exc)) from None
        except PromptRejected as exc:
            raise ApiError(422, "prompt_rejected", str(exc), {"node_errors": exc.node_errors}) from None
        return jsonify(view.to_json()), 202 if created else 200

    def job_status(job_id: str) -> Any:
        raw_wait = request.args.get("wait", "0")
        try:
            wait_s = min(MAX_WAIT_S, max(0.0, float(raw_wait)))
        except ValueError:
            raise ApiError(400, "bad_wait", f"wait={raw_wait!r} is not a number of seconds") from None
        try:
            return jsonify(service.status(job_id, wait_s).to_json())
        except JobNotFound:
            raise ApiError(404, "job_not_found", f"ComfyUI knows no job {job_id}") from None

    app.add_url_rule("/api/v1/jobs/<job_id>", "job_status", job_status, methods=["GET"])
    app.add_url_rule("/api/v1/<workflow>/jobs/<job_id>", "workflow_job_status",
                     lambda workflow, job_id: job_status(job_id), methods=["GET"])

    @app.post("/api/v1/jobs/<job_id>/cancel")
    def cancel(job_id: str) -> Any:
        try:
            return jsonify(service.cancel(job_id).to_json())
        except JobNotFound:
            raise ApiError(404, "job_not_found", f"ComfyUI knows no job {job_id}") from None

    return app
