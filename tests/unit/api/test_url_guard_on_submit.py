"""Image URLs are checked on their resolved addresses before anything is written."""

from collections.abc import Iterable
from typing import Any

import pytest

from gpujobs.url_guard import UnsafeUrl

CAMERA = "/api/v1/camera-angle/jobs"
QWEN = "/api/v1/qwen-image-edit/jobs"


def resolving_to(*addresses: str) -> Any:
    def resolve(host: str) -> Iterable[str]:
        return list(addresses)

    return resolve


def unresolvable(host: str) -> Iterable[str]:
    raise UnsafeUrl(f"host {host!r} does not resolve")


@pytest.mark.parametrize("address", [
    "169.254.169.254", "10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fd00::1", "::ffff:169.254.169.254", "fd00:ec2::254", "64:ff9b::a9fe:a9fe",
    "::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe",
])
def test_host_resolving_to_a_non_public_address_is_422(make_app: Any, aws: Any, address: str) -> None:
    client = make_app(resolver=resolving_to("93.184.215.14", address)).test_client()
    response = client.post(CAMERA, json={"image_url": "https://images.example.com/a.png", "prompt": "x"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith("image_url:") and "non-public" in error["message"]
    # the answer does not tell a client what a name resolved to
    assert address not in response.get_data(as_text=True) and "93.184" not in response.get_data(as_text=True)
    assert aws.rows() == [] and aws.queue_bodies() == []


@pytest.mark.parametrize("url", [
    "http://images.example.com/a.png", "ftp://images.example.com/a.png", "file:///etc/passwd",
    "https://user:pw@images.example.com/a.png", "s3://", "s3://bucket", "https:///nohost",
    "https://169.254.169.254/latest/meta-data/", "https://[::1]/a.png", "https://10.0.0.1/a.png",
    "https://[64:ff9b::a9fe:a9fe]/a.png", "https://[::a9fe:a9fe]/a.png", "https://[64:ff9b:1::a9fe:a9fe]/a.png",
    "https://[::ffff:a9fe:a9fe]/a.png", "s3://192.168.1.1/a.png", "s3://xn--bucket/a.png",
    "s3://bucket-s3alias/a.png", "s3://bucket--ol-s3/a.png", "s3://my..bucket/a.png", "s3://buck\tet/a.png",
])
def test_unsafe_url_is_422(client: Any, aws: Any, url: str) -> None:
    response = client.post(CAMERA, json={"image_url": url, "prompt": "x"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert aws.rows() == []


def test_unresolvable_host_is_422(make_app: Any) -> None:
    client = make_app(resolver=unresolvable).test_client()
    response = client.post(CAMERA, json={"image_url": "https://nowhere.invalid/a.png", "prompt": "x"})
    assert response.status_code == 422
    assert "does not resolve" in response.get_json()["error"]["message"]


def test_reference_images_are_checked_too(make_app: Any) -> None:
    def resolve(host: str) -> Iterable[str]:
        return ["169.254.169.254"] if host == "metadata.example.com" else ["93.184.215.14"]

    client = make_app(resolver=resolve).test_client()
    response = client.post(QWEN, json={
        "image_url": "https://images.example.com/a.png", "prompt": "x",
        "image3_url": "https://metadata.example.com/latest",
    })
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["loc"] == ["image3_url"]


def test_s3_and_public_https_urls_pass(client: Any) -> None:
    assert client.post(CAMERA, json={"image_url": "s3://inputs/a.png", "prompt": "x"}).status_code == 202
    response = client.post(CAMERA, json={"image_url": "https://images.example.com/a.png", "prompt": "x"})
    assert response.status_code == 202
