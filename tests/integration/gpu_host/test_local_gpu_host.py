"""The emulated GPU host follows a real instance in the emulator: the ComfyUI double, the Unified API
(gunicorn) and the worker up after the boot delay while it runs, in that order, down when it stops.
The worker is a command of the test's own here, so this test never consumes the session stack's queue."""

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from gpujobs import aws_clients
from local.emulator import free_port
from local.role_users import write_env_file
from tests.polling import wait_until

from .conftest import answers

pytestmark = pytest.mark.integration

FAKE_WORKER = (
    "import os, signal, sys, time, pathlib\n"
    "p = pathlib.Path(sys.argv[1])\n"
    "signal.signal(signal.SIGTERM, lambda *_: (p.unlink(missing_ok=True), sys.exit(0)))\n"
    "p.write_text(' '.join([str(os.getpid()), os.environ.get('UNIFIED_API_URL', ''),\n"
    "                       os.environ.get('AWS_ACCESS_KEY_ID', '')]))\n"
    "while True: time.sleep(0.1)\n"
)


@pytest.fixture
def instance_id(stack):
    """An instance of our own (same image as the stack's), stopped, so other tests' power logic is untouched."""
    ec2 = aws_clients.client("ec2")
    image = ec2.describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"][0]["Instances"][0]["ImageId"]
    created = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    ec2.stop_instances(InstanceIds=[created["InstanceId"]])
    yield created["InstanceId"]
    ec2.terminate_instances(InstanceIds=[created["InstanceId"]])


def test_children_run_only_while_the_instance_runs(stack, roles, instance_id, processes, tmp_path):
    ec2 = aws_clients.client("ec2")
    # The children sign as the GPU instance's role, from the file `make up` writes; the host as the session.
    role = roles.environment("worker")
    role_file = write_env_file(tmp_path / "gpu-instance.env", role)
    port, comfyui_port = free_port(), free_port()
    worker_file = tmp_path / "worker.pid"
    worker_script = tmp_path / "fake_worker.py"
    worker_script.write_text(FAKE_WORKER)
    host = processes(
        [sys.executable, "-m", "local.gpu_host"],
        {"GPU_INSTANCE_ID": instance_id, "BOOT_DELAY_S": "1", "LOCAL_GPU_POLL_S": "0.2",
         "LOCAL_UNIFIED_API_PORT": str(port), "LOCAL_COMFYUI_PORT": str(comfyui_port),
         "LOCAL_COMFYUI_DIR": str(tmp_path / "comfyui"),
         "LOCAL_GPU_WORKER_CMD": f"{sys.executable} {worker_script} {worker_file}",
         **({"LOCAL_GPU_ROLE_ENV_FILE": str(role_file)} if role else {})},
        log_name="gpu-host",
    )
    # 200 only once the Unified API answers and the double it drives has every node the workflows use.
    health = f"http://127.0.0.1:{port}/health"
    log_file = tmp_path / "gpu-host.log"
    wait_until(lambda: '"host_started"' in log_file.read_text(), 30, "the host to start watching")
    wait_until(lambda: '"to": "stopped"' in log_file.read_text(), 30, "the host to see the stopped instance")
    assert not answers(health) and not worker_file.exists()

    ec2.start_instances(InstanceIds=[instance_id])
    wait_until(lambda: answers(health) and worker_file.exists(), 60, "the double, the Unified API and the worker")
    pid_text, api_url, access_key, *_ = [*worker_file.read_text().split(" "), ""]
    assert api_url == f"http://127.0.0.1:{port}"
    assert access_key == role.get("AWS_ACCESS_KEY_ID", os.environ.get("AWS_ACCESS_KEY_ID", ""))

    ec2.stop_instances(InstanceIds=[instance_id])
    stats = f"http://127.0.0.1:{comfyui_port}/system_stats"
    # In reverse order: the worker, the Unified API, then the double.
    wait_until(lambda: not worker_file.exists() and not answers(health) and not answers(stats), 60,
               "the children to stop")
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_text), 0)

    host.send_signal(signal.SIGTERM)
    assert host.wait(timeout=30) == 0
    events = [json.loads(line).get("event") for line in Path(log_file).read_text().splitlines()
              if line.startswith("{") and '"service": "local-gpu-host"' in line]
    assert [e for e in events if e in ("booting", "host_up", "host_stopping", "host_down")] == [
        "booting", "host_up", "host_stopping", "host_down"]
