"""Model provisioning: resumable downloads with Range, checks where models.json has the facts."""

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from gpujobs.workflow_spec import ModelFile
from services.unified_api import model_provision

PAYLOAD = bytes(range(256)) * 400  # 102400 bytes


class RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        header = self.headers.get("Range")
        self.ranges.append(header or "")
        start = int(header.removeprefix("bytes=").split("-")[0]) if header else 0
        if start >= len(PAYLOAD):
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PAYLOAD[start:]
        self.send_response(206 if header else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/model.safetensors"
    httpd.shutdown()


def model(url: str, **facts: object) -> ModelFile:
    return ModelFile("m.safetensors", "loras", url, **facts)  # type: ignore[arg-type]


def test_a_download_resumes_from_the_partial_file_and_is_checked(url: str, tmp_path: Path) -> None:
    part = tmp_path / "loras" / "m.safetensors.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:1000])
    RangeHandler.ranges.clear()
    facts = {"sha256": hashlib.sha256(PAYLOAD).hexdigest(), "bytes": len(PAYLOAD)}
    outcome = model_provision.provision(model(url, **facts), tmp_path, requests.Session(), verify=False)
    assert outcome.state == "downloaded" and outcome.note == "size and sha256 checked"
    assert RangeHandler.ranges == ["bytes=1000-"]
    assert (tmp_path / "loras" / "m.safetensors").read_bytes() == PAYLOAD
    again = model_provision.provision(model(url, **facts), tmp_path, requests.Session(), verify=True)
    assert again.state == "present" and again.note == "verified"


def test_a_wrong_checksum_rejects_the_file(url: str, tmp_path: Path) -> None:
    outcome = model_provision.provision(model(url, sha256="0" * 64), tmp_path, requests.Session(), verify=False)
    assert outcome.state == "failed" and "sha256 differs" in outcome.note
    assert not (tmp_path / "loras" / "m.safetensors").exists()
    assert (tmp_path / "loras" / "m.safetensors.rejected").exists()


def test_unpublished_facts_are_reported_as_unchecked(url: str, tmp_path: Path) -> None:
    outcome = model_provision.provision(model(url), tmp_path, requests.Session(), verify=False)
    assert outcome.state == "downloaded"
    assert outcome.note == "not checked: sha256 and size (not published in models.json)"
    present = model_provision.provision(model(url), tmp_path, requests.Session(), verify=False)
    assert present.state == "present" and present.note.startswith("skipped; not checked")


def test_a_present_file_of_the_wrong_size_is_reported(url: str, tmp_path: Path) -> None:
    (tmp_path / "loras").mkdir()
    (tmp_path / "loras" / "m.safetensors").write_bytes(b"short")
    outcome = model_provision.provision(model(url, bytes=len(PAYLOAD)), tmp_path, requests.Session(), verify=False)
    assert outcome.state == "failed" and "size 5" in outcome.note


def test_the_command_lists_the_shipped_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert model_provision.main(["--models-dir", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "missing loras/Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16.safetensors" in out
    assert "missing checkpoints/Qwen-Rapid-AIO-SFW-v23.safetensors" in out
