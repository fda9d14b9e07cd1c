"""Bodies are validated per workflow: required fields, types, ranges, enums; unknown fields are 422."""

from typing import Any

import pytest

CAMERA = "/api/v1/camera-angle/jobs"
QWEN = "/api/v1/qwen-image-edit/jobs"
CAMERA_OK = {"image_url": "s3://inputs/a.png", "prompt": "turn"}
QWEN_OK = {"image_url": "s3://inputs/a.png", "prompt": "edit"}
LONG = "x" * 4001


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


CAMERA_INVALID = [
    ("image_url", _without(CAMERA_OK, "image_url")),
    ("prompt", _without(CAMERA_OK, "prompt")),
    ("image_url", {**CAMERA_OK, "image_url": 5}),
    ("image_url", {**CAMERA_OK, "image_url": None}),
    ("prompt", {**CAMERA_OK, "prompt": ""}),
    ("prompt", {**CAMERA_OK, "prompt": LONG}),
    ("prompt", {**CAMERA_OK, "prompt": ["a"]}),
    ("seed", {**CAMERA_OK, "seed": -1}),
    ("seed", {**CAMERA_OK, "seed": 2**53}),
    ("seed", {**CAMERA_OK, "seed": 1.5}),
    ("seed", {**CAMERA_OK, "seed": "abc"}),
    ("steps", {**CAMERA_OK, "steps": 0}),
    ("steps", {**CAMERA_OK, "steps": 101}),
    ("steps", {**CAMERA_OK, "steps": "many"}),
    ("cfg", {**CAMERA_OK, "cfg": 1.0}),
    ("unknown", {**CAMERA_OK, "unknown": 1}),
]

QWEN_INVALID = [
    ("image_url", _without(QWEN_OK, "image_url")),
    ("prompt", _without(QWEN_OK, "prompt")),
    ("image2_url", {**QWEN_OK, "image2_url": "http://a.example.com/x.png"}),
    ("image3_url", {**QWEN_OK, "image3_url": 3}),
    ("steps", {**QWEN_OK, "steps": 0}),
    ("steps", {**QWEN_OK, "steps": 1000}),
    ("cfg", {**QWEN_OK, "cfg": -0.5}),
    ("cfg", {**QWEN_OK, "cfg": 31}),
    ("cfg", {**QWEN_OK, "cfg": "high"}),
    ("sampler_name", {**QWEN_OK, "sampler_name": "bogus"}),
    ("scheduler", {**QWEN_OK, "scheduler": "bogus"}),
    ("denoise", {**QWEN_OK, "denoise": 1.01}),
    ("denoise", {**QWEN_OK, "denoise": -0.1}),
    ("seed", {**QWEN_OK, "seed": -5}),
    ("extra", {**QWEN_OK, "extra": {"a": 1}}),
]


@pytest.mark.parametrize(("field", "body"), CAMERA_INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CAMERA_INVALID)])
def test_camera_angle_invalid_field_is_422(client: Any, aws: Any, field: str, body: dict[str, Any]) -> None:
    _assert_rejected(client.post(CAMERA, json=body), field)
    assert aws.rows() == []


@pytest.mark.parametrize(("field", "body"), QWEN_INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(QWEN_INVALID)])
def test_qwen_invalid_field_is_422(client: Any, aws: Any, field: str, body: dict[str, Any]) -> None:
    _assert_rejected(client.post(QWEN, json=body), field)
    assert aws.rows() == []


def _assert_rejected(response: Any, field: str) -> None:
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in [entry["loc"][0] for entry in error["details"] if entry["loc"]]
    assert all(set(entry) == {"loc", "msg", "type"} for entry in error["details"])


def test_huge_values_are_not_echoed(client: Any) -> None:
    response = client.post(CAMERA, json={**CAMERA_OK, "prompt": "Z" * 100_000})
    assert response.status_code == 422
    assert "ZZZZ" not in response.get_data(as_text=True)


def test_defaults_and_bounds_are_accepted(client: Any) -> None:
    ok = [
        (CAMERA, {**CAMERA_OK, "seed": 0, "steps": 1}),
        (CAMERA, {**CAMERA_OK, "seed": 2**53 - 1, "steps": 100}),
        (QWEN, {**QWEN_OK, "cfg": 0, "denoise": 0, "sampler_name": "euler_ancestral", "scheduler": "beta"}),
        (QWEN, {**QWEN_OK, "cfg": 30, "denoise": 1, "sampler_name": "er_sde", "image2_url": "s3://inputs/r.png"}),
    ]
    for path, body in ok:
        assert client.post(path, json=body).status_code == 202, body
