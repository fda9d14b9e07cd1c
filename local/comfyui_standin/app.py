"""The stand-in's HTTP surface: the Unified API contract plus two test controls under /_standin/.

POST {workflow path} validates the body with the shared workflow models (400 malformed JSON, 422
invalid fields) and answers {"job_id", "status": "pending"}; GET /api/v1/jobs/{id} (and the
per-workflow alias) answers the job's status, 404 for an id this process does not know.
"""

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from gpujobs.errors import ConfigError
from gpujobs.workflows import WORKFLOWS
from local.comfyui_standin.job_runner import JobRunner

SERVICE_NAME = "comfyui-unified-api-standin"
MAX_BODY_BYTES = 1024 * 1024
_RECONFIGURABLE = {"latency_s": float, "failure_rate": float, "failure_mode": str, "seed": int}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def _error(status: int, code: str, message: str, details: Any = None) -> tuple[Any, int]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return jsonify(body), status


def _runner() -> JobRunner:
    return current_app.extensions["standin_runner"]


def _maybe_unavailable() -> None:
    if _runner().roll_failure("http"):
        raise ApiError(503, "unavailable", "injected failure: the service is temporarily unavailable")


def _json_body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_fields", "the request body must be a JSON object")
    return body


jobs = Blueprint("jobs", __name__)


@jobs.post("/api/v1/<workflow_name>/jobs")
def submit(workflow_name: str) -> tuple[Any, int]:
    workflow = WORKFLOWS.get(workflow_name)
    if workflow is None:
        raise ApiError(404, "not_found", f"unknown workflow {workflow_name!r}")
    _maybe_unavailable()
    try:
        parsed = workflow.request_model.model_validate(_json_body())
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])) or None, "message": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "invalid_fields", "the request body has invalid fields", details) from None
    job = _runner().submit(workflow, parsed)
    return jsonify({"job_id": job.job_id, "status": "pending"}), 200


@jobs.get("/api/v1/jobs/<job_id>")
@jobs.get("/api/v1/<workflow_name>/jobs/<job_id>")
def status(job_id: str, workflow_name: str | None = None) -> tuple[Any, int]:
    _maybe_unavailable()
    job = _runner().get(job_id)
    if job is None or (workflow_name is not None and job.workflow.name != workflow_name):
        raise ApiError(404, "not_found", f"job {job_id} not found")
    return jsonify(job.view()), 200


service = Blueprint("service", __name__)


@service.get("/health")
def health() -> Any:
    runner = _runner()
    return jsonify({"status": "healthy", "service": SERVICE_NAME, "jobs": runner.counts(),
                    "results_bucket": runner.results.bucket})


@service.get("/")
def info() -> Any:
    return jsonify({
        "service": SERVICE_NAME,
        "workflows": {w.name: w.api_path for w in WORKFLOWS.values()},
        "status_path": "/api/v1/jobs/{job_id}",
        "config": _runner().config.public(),
    })


controls = Blueprint("controls", __name__, url_prefix="/_standin")


@controls.get("/stats")
def stats() -> Any:
    runner = _runner()
    return jsonify({"submitted": dict(runner.submitted), "total_submitted": sum(runner.submitted.values()),
                    "jobs": runner.counts()})


@controls.route("/config", methods=["GET", "PUT"])
def config() -> Any:
    """Change latency_s, failure_rate, failure_mode or seed of a running service."""
    runner = _runner()
    if request.method == "PUT":
        body = _json_body()
        unknown = sorted(set(body) - set(_RECONFIGURABLE))
        if unknown:
            raise ApiError(422, "invalid_fields", f"cannot change {', '.join(unknown)}")
        try:
            runner.reconfigure(**{k: _RECONFIGURABLE[k](v) for k, v in body.items()})
        except (TypeError, ValueError, ConfigError) as exc:
            raise ApiError(422, "invalid_fields", str(exc)) from None
    return jsonify(runner.config.public())


def create_app(runner: JobRunner) -> Flask:
    """Build the app around `runner` (its knobs and where results go)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    app.extensions["standin_runner"] = runner
    app.register_blueprint(jobs)
    app.register_blueprint(service)
    app.register_blueprint(controls)

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Any, int]:
        return _error(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error(exc.code or 500, code, exc.description or exc.name or "error")

    return app
