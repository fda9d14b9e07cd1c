"""Internal hosts and ports never reach a job's `error`; public ones and the rest of the text stay."""

import pytest

from gpujobs.address_redaction import INTERNAL, redact_addresses

POOL_ERROR = ("submit to the Unified API: POST /api/v1/jobs: ConnectionError: HTTPConnectionPool(host='127.0.0.1', "
              "port=8188): Max retries exceeded with url: /api/v1/jobs (Caused by NewConnectionError("
              "'<urllib3.connection.HTTPConnection object at 0x7f3a>: Failed to establish a new connection: "
              "[Errno 111] Connection refused'))")


@pytest.mark.parametrize(("text", "gone"), [
    (POOL_ERROR, ["127.0.0.1", "8188"]),
    ('Could not connect to the endpoint URL: "http://127.0.0.1:5000/"', ["127.0.0.1", "5000"]),
    ("ComfyUI at http://localhost:8188/prompt failed", ["localhost", "8188"]),
    ("http://comfyui:8188/history answered 500", ["comfyui", "8188"]),
    ("http://user:pw@10.1.1.1:80/x", ["10.1.1.1", "pw"]),
    ("fetching https://[::1]:9000/x and http://[fd00:ec2::254]/latest", ["::1", "9000", "fd00:ec2::254"]),
    ("peer 10.0.0.5:22 reset; 169.254.169.254 timed out; 192.168.1.7", ["10.0.0.5", ":22", "169.254", "192.168"]),
    ("fd00:ec2::254 and [fe80::1%eth0]:80 and ::ffff:10.0.0.1 refused", ["fd00", "fe80", "10.0.0.1", ":80"]),
    ("ip-10-0-0-1.ec2.internal:443 and gpu.local and db.localdomain:5432", ["ip-10", "gpu.local", "5432"]),
    ("64:ff9b::a9fe:a9fe and ::a9fe:a9fe", ["a9fe"]),
])
def test_internal_addresses_and_ports_are_redacted(text: str, gone: list[str]) -> None:
    redacted = redact_addresses(text)
    assert INTERNAL in redacted
    for part in gone:
        assert part not in redacted, redacted


@pytest.mark.parametrize("text", [
    "fetching https://images.example.com:8443/a.png: HTTP 404",
    'Could not connect to the endpoint URL: "https://dynamodb.us-east-1.amazonaws.com/"',
    "cannot read s3://inputs/a.png: not found",
    "host 93.184.215.14:443 and 2606:2800:220:1:248:1893:25c8:1946 answered 503",
    "exceeded time limit of 600 s at 20:38:10; internal error; the local queue; version 1.2.3.4.5",
    "workflow_version_mismatch: the GPU host has a0b1:c2d3 instead",
])
def test_public_addresses_and_other_text_stay(text: str) -> None:
    assert redact_addresses(text) == text
