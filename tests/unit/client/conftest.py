"""A scripted fake of the public API on a real loopback port, so the client talks real HTTP."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from gpujobs import aws_clients


@dataclass
class FakeApi:
    """Each job answers its scripted documents in turn, one per status request, then repeats the last."""

    url: str = ""
    scripts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    submitted: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    reject_with: tuple[int, dict[str, Any]] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    list_queries: list[dict[str, str]] = field(default_factory=list)
    uploaded_types: list[str] = field(default_factory=list)

    def script(self, job_id: str, *documents: dict[str, Any]) -> None:
        self.scripts[job_id] = [{"job_id": job_id, "result_s3_uri": None, "error": None, **d} for d in documents]


def _fake_app(api: FakeApi) -> Flask:
    app = Flask(__name__)

    @app.post("/api/v1/<workflow>/jobs")
    def submit(workflow: str) -> Any:
        body = request.get_json()
        api.submitted.append((workflow, body, dict(request.headers)))
        if api.reject_with is not None:
            return jsonify(api.reject_with[1]), api.reject_with[0]
        job_id = f"job-{len(api.submitted)}"
        if job_id not in api.scripts:
            api.script(job_id, {"status": "completed", "result_s3_uri": None})
        return jsonify({"job_id": job_id, "status": "pending", "result_s3_uri": None, "error": None,
                        "created_at": int(time.time())}), 202

    @app.get("/api/v1/jobs/<job_id>")
    def status(job_id: str) -> Any:
        script = api.scripts.get(job_id)
        if script is None:
            return jsonify({"error": {"code": "not_found", "message": f"job {job_id} not found"}}), 404
        document = script.pop(0) if len(script) > 1 else script[0]
        return jsonify(document)

    @app.get("/api/v1/jobs")
    def list_jobs() -> Any:
        api.list_queries.append(dict(request.args))
        return jsonify({"jobs": [s[-1] for s in api.scripts.values()], "next_cursor": None})

    @app.post("/api/v1/jobs/<job_id>/cancel")
    def cancel(job_id: str) -> Any:
        api.script(job_id, {"status": "cancelled"})
        return jsonify(api.scripts[job_id][0])

    @app.delete("/api/v1/jobs/<job_id>")
    def delete(job_id: str) -> Any:
        api.script(job_id, {"status": "completed", "results_deleted_at": 1})
        return jsonify(api.scripts[job_id][0])

    @app.post("/api/v1/uploads")
    def uploads() -> Any:
        content_type = request.get_json()["content_type"]
        return jsonify({"s3_uri": "s3://results/uploads/acme/u.png", "url": f"{api.url}/files/u.png",
                        "method": "PUT", "headers": {"Content-Type": content_type}, "expires_in": 900}), 201

    @app.get("/files/<name>")
    def files(name: str) -> Any:
        return api.files[name], 200, {"Content-Type": "image/png"}

    @app.put("/files/<name>")
    def put_file(name: str) -> Any:
        api.files[name] = request.get_data()
        api.uploaded_types.append(request.headers.get("Content-Type", ""))
        return "", 200

    return app


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = make_server("127.0.0.1", 0, _fake_app(api), threaded=True)
    api.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    thread.join(5)


@pytest.fixture
def s3(moto_clients: Any) -> Any:
    client = aws_clients.client("s3")
    client.create_bucket(Bucket="results")
    return client
