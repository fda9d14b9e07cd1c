"""Every failure is `{"error": {"code", "message", "details"}}` JSON with the right status."""

from typing import Any

import pytest

from services.api.api_config import ApiConfig

CAMERA = "/api/v1/camera-angle/jobs"
JOB_ID = "7d9a5c1e-0f7b-4d3a-8e2c-1a2b3c4d5e6f"
BODY = {"image_url": "s3://inputs/a.png", "prompt": "x"}


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_malformed_json_is_400(client: Any) -> None:
    _error(client.post(CAMERA, data='{"image_url": ', content_type="application/json"), 400, "malformed_json")


def test_not_json_content_type_is_415(client: Any) -> None:
    _error(client.post(CAMERA, data="image_url=x", content_type="application/x-www-form-urlencoded"),
           415, "unsupported_media_type")
    _error(client.post(CAMERA, data="{}"), 415, "unsupported_media_type")


def test_json_that_is_not_an_object_is_422(client: Any) -> None:
    for payload in ("[1, 2]", '"a string"', "42", "null"):
        _error(client.post(CAMERA, data=payload, content_type="application/json"), 422, "validation_error")


def test_body_over_the_limit_is_413(make_app: Any) -> None:
    client = make_app(config=ApiConfig(max_content_length=2048)).test_client()
    _error(client.post(CAMERA, json={**BODY, "prompt": "x" * 4000}), 413, "payload_too_large")


def test_default_limit_is_one_mebibyte(client: Any) -> None:
    big = '{"prompt": "' + "x" * (1024 * 1024) + '"}'
    _error(client.post(CAMERA, data=big, content_type="application/json"), 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/", "/api/v1/nothing", "/api/v2/camera-angle/jobs", "/api/v1/jobs/x/y"])
def test_unknown_route_is_404(client: Any, path: str) -> None:
    _error(client.get(path), 404, "not_found")


def test_unknown_job_is_404(client: Any) -> None:
    _error(client.get("/api/v1/jobs/7d9a5c1e-0f7b-4d3a-8e2c-1a2b3c4d5e6f"), 404, "job_not_found")


@pytest.mark.parametrize("job_id", ["bad!id", "-leading-dash", "x" * 200, "%00"])
def test_malformed_job_id_is_404(client: Any, job_id: str) -> None:
    _error(client.get(f"/api/v1/jobs/{job_id}"), 404, "job_not_found")


def test_workflow_alias_finds_its_own_jobs_only(client: Any) -> None:
    job_id = client.post(CAMERA, json=BODY).get_json()["job_id"]
    assert client.get(f"/api/v1/camera-angle/jobs/{job_id}").status_code == 200
    _error(client.get(f"/api/v1/qwen-image-edit/jobs/{job_id}"), 404, "job_not_found")


def test_wrong_method_is_405_with_allow(client: Any) -> None:
    response = client.delete(CAMERA)
    _error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    _error(client.post("/health", json={}), 405, "method_not_allowed")


def test_rate_limit_hook_gives_429(make_app: Any) -> None:
    client = make_app(rate_limiter=lambda request: 7).test_client()
    response = client.post(CAMERA, json=BODY)
    _error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "7"


def test_every_api_route_needs_a_valid_key(make_app: Any, aws: Any) -> None:
    client = make_app().test_client()
    for method, path in (("post", CAMERA), ("get", "/api/v1/jobs"), ("get", f"/api/v1/jobs/{JOB_ID}"),
                         ("post", f"/api/v1/jobs/{JOB_ID}/cancel"), ("get", "/api/v1/nope")):
        response = getattr(client, method)(path, json=BODY, headers={"Authorization": ""})
        _error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    forged = aws.key[:-4] + ("AAAA" if not aws.key.endswith("AAAA") else "BBBB")
    for bad in ("nope", forged, "gjk_000000000000_" + "x" * 43):
        _error(client.post(CAMERA, json=BODY, headers={"X-Api-Key": bad, "Authorization": ""}), 401,
               "unauthorized")
    assert client.post(CAMERA, json=BODY, headers={"X-Api-Key": aws.key, "Authorization": ""}).status_code == 202
    assert client.post(CAMERA, json=BODY, headers={"Authorization": f"bearer {aws.key}"}).status_code == 202
    assert client.get("/health", headers={"Authorization": ""}).get_json() == {"status": "healthy"}
    _error(client.get("/health", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")


def test_unexpected_exception_is_a_generic_500(app: Any, monkeypatch: Any) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(app.extensions["gpujobs_api"].store, "find", explode)
    response = app.test_client().get("/api/v1/jobs/7d9a5c1e-0f7b-4d3a-8e2c-1a2b3c4d5e6f")
    error = _error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert error["details"] is None


def test_openapi_document_and_docs_page(client: Any) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    folders = ("camera-angle", "qwen-image-edit", "invert-blend")  # the shipped workflow folders
    assert set(document["paths"]) == {"/api/v1/jobs/{job_id}", "/health", "/api/v1/jobs",
                                      "/api/v1/jobs/{job_id}/cancel", "/api/v1/uploads",
                                      *(f"/api/v1/{name}/jobs" for name in folders),
                                      *(f"/api/v1/{name}/jobs/{{job_id}}" for name in folders)}
    schemas = document["components"]["schemas"]
    assert {"CameraAngleRequest", "QwenImageEditRequest", "Job", "ErrorResponse"} <= set(schemas)
    assert schemas["CameraAngleRequest"]["additionalProperties"] is False
    submit = document["paths"]["/api/v1/camera-angle/jobs"]["post"]
    assert {"202", "400", "413", "415", "422", "503"} <= set(submit["responses"])
    assert client.get("/docs/").status_code == 200


@pytest.mark.parametrize("depth", [33, 500, 990, 5_000, 100_000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a": ', "}")])
def test_deeply_nested_json_is_400_at_any_depth(client: Any, aws: Any, depth: int, opening: str,
                                                 closing: str) -> None:
    """Below the parser's recursion limit and far past it alike, in a field or as the whole body."""
    nested = opening * depth + "1" + closing * depth
    for body in (nested, '{"image_url": "s3://inputs/a.png", "prompt": ' + nested + "}"):
        for headers in ({}, {"Idempotency-Key": "deep"}):
            response = client.post(CAMERA, data=body, content_type="application/json", headers=headers)
            assert "deeper than 32" in _error(response, 400, "malformed_json")["message"]
    assert aws.rows() == [] and aws.queue_bodies() == []


def test_nesting_up_to_the_limit_reaches_validation(client: Any) -> None:
    body = '{"image_url": "s3://inputs/a.png", "prompt": ' + "[" * 31 + "]" * 31 + "}"
    _error(client.post(CAMERA, data=body, content_type="application/json"), 422, "validation_error")
