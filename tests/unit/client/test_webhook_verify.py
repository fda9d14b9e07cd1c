"""`gpujobs webhook verify`: ok for a delivery signed with the secret, a reason and exit 1 otherwise."""

import time
from pathlib import Path

import pytest

from gpujobs.webhook_signature import new_secret, sign_headers
from gpujobs_cli.cli import main

BODY = b'{"type":"job.completed","timestamp":"2026-01-01T00:00:00Z","data":{"job_id":"j"}}'


@pytest.fixture
def delivery(tmp_path: Path) -> tuple[str, dict[str, str], Path]:
    secret = new_secret()
    body = tmp_path / "body.json"
    body.write_bytes(BODY)
    return secret, sign_headers([secret], "job_j_completed", int(time.time()), BODY), body


def _header_args(headers: dict[str, str]) -> list[str]:
    return [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]


def test_a_signed_delivery_verifies(delivery: tuple[str, dict[str, str], Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    secret, headers, body = delivery
    assert main(["webhook", "verify", "--secret", secret, *_header_args(headers), "--body", str(body)]) == 0
    assert capsys.readouterr().out == "ok\n"


def test_the_secret_may_come_from_the_environment_and_values_from_options(
        delivery: tuple[str, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    secret, headers, body = delivery
    monkeypatch.setenv("GPUJOBS_WEBHOOK_SECRET", secret)
    assert main(["webhook", "verify", "--id", headers["webhook-id"], "--timestamp", headers["webhook-timestamp"],
                 "--signature", headers["webhook-signature"], "--body", str(body)]) == 0


@pytest.mark.parametrize(("change", "reason"), [
    ({"webhook-id": "job_j_start"}, "no signature matches"),
    ({"webhook-timestamp": "1000"}, "old"),
    ({"webhook-signature": None}, "missing header"),
])
def test_a_bad_delivery_exits_1_saying_why(delivery: tuple[str, dict[str, str], Path], change: dict[str, str | None],
                                          reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    secret, headers, body = delivery
    changed = {k: v for k, v in {**headers, **change}.items() if v is not None}
    assert main(["webhook", "verify", "--secret", secret, *_header_args(changed), "--body", str(body)]) == 1
    assert reason in capsys.readouterr().err


def test_another_secret_or_none_is_refused(delivery: tuple[str, dict[str, str], Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _, headers, body = delivery
    assert main(["webhook", "verify", "--secret", new_secret(), *_header_args(headers), "--body", str(body)]) == 1
    monkeypatch.delenv("GPUJOBS_WEBHOOK_SECRET", raising=False)
    assert main(["webhook", "verify", *_header_args(headers), "--body", str(body)]) == 2
