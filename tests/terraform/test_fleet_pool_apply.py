"""Soak (`make soak`, not in `make test`: its apply and destroy add about 80 s, most of it the provider
waiting on the two new queues): a fleet pool applied by Terraform (terraform/modules/gpu_pool/examples/fleet)
beside the session stack. Its power run, configured by the pool's own power_environment, scales the group
out on a burst, keeps the instances its workers protect through a scale-in, and returns the group to zero
after the idle window; the API's wake then starts one instance of the group at zero."""

import json
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from services.adapter.scale_in_protection import ScaleInProtection
from services.api.gpu_power import IN_SERVICE, STARTING, GpuFleetStarter
from services.shutdown_lambda.handler import build_handler
from tests.doubles.lambda_context import LambdaContext

pytestmark = [pytest.mark.integration, pytest.mark.soak]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "terraform" / "modules" / "gpu_pool" / "examples" / "fleet"
TF = ROOT / "terraform" / "tf.sh"
WINDOW_S = 30 * 60
TF_TIMEOUT_S = 300


def terraform(run_dir: Path, *args: str) -> str:
    env = {**os.environ, "TF_DATA_DIR": str(run_dir / ".terraform"), "TF_IN_AUTOMATION": "1"}
    done = subprocess.run([str(TF), f"-chdir={EXAMPLE}", *args], env=env, capture_output=True, text=True,
                          timeout=TF_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"terraform {args[0]} failed:\n{done.stderr[-4000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def fleet_pool(stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    ec2 = aws_clients.client("ec2")
    image = ec2.describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"][0]["Instances"][0]["ImageId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    run_dir = Path(tempfile.mkdtemp(prefix="gpujobs-fleet-"))
    state = f"-state={run_dir / 'terraform.tfstate'}"
    variables = [f"-var={k}={v}" for k, v in {
        "emulator": "true", "region": stack["aws_region"], "ami_id": image, "subnet_id": subnet, "max_size": "3",
        "task_table_name": stack["task_table_name"], "results_bucket_name": stack["results_bucket_name"],
        "status_index_name": stack["task_table_status_index_name"], "packages_dir": str(ROOT / "build" / "lambda"),
    }.items()]
    terraform(run_dir, "init", "-input=false", "-no-color")
    terraform(run_dir, "apply", "-auto-approve", "-input=false", "-no-color", state, *variables)
    outputs = {k: v["value"] for k, v in json.loads(terraform(run_dir, "output", "-json", state)).items()}
    yield outputs
    autoscaling = aws_clients.client("autoscaling")
    group = outputs["fleet"]["group_name"]
    members = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    ids = [i["InstanceId"] for i in members["Instances"]]
    if ids:  # a failed test may leave protected instances, which would hold the group up
        autoscaling.set_instance_protection(AutoScalingGroupName=group, InstanceIds=ids, ProtectedFromScaleIn=False)
    terraform(run_dir, "destroy", "-auto-approve", "-input=false", "-no-color", state, *variables)


def members(group: str) -> dict[str, dict[str, Any]]:
    found = aws_clients.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return {i["InstanceId"]: i for i in found["AutoScalingGroups"][0]["Instances"]}


# The session's apply, the pool's apply (its new queues) and its destroy together outlast the default limit.
@pytest.mark.timeout(900)
def test_burst_scales_out_protected_instances_survive_and_the_group_returns_to_zero(
        fleet_pool: dict[str, Any], stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # The pool shares the session's task table with every other test: a pool name of its own makes the
    # power run count only this pool's processing tasks (none here).
    overrides = {"IDLE_MINUTES": str(WINDOW_S // 60), "GPU_POOL": f"fleet-{uuid.uuid4().hex[:8]}"}
    for key, value in {**fleet_pool["power_environment"], **overrides}.items():
        monkeypatch.setenv(key, value)
    aws_clients.reset_clients()
    group, queue_url = fleet_pool["fleet"]["group_name"], fleet_pool["power_environment"]["SQS_QUEUE_URL"]
    sqs, autoscaling = aws_clients.client("sqs"), aws_clients.client("autoscaling")
    assert fleet_pool["fleet"]["warm_pool"] and members(group) == {}

    # Three submitted jobs: pending rows (old enough that only their messages count), then messages.
    store = TaskStore(stack["task_table_name"], aws_clients.client("dynamodb"))
    burst = [f"burst-{uuid.uuid4().hex[:8]}-{n}" for n in range(3)]
    for task_id in burst:
        store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, int(time.time()) - 2 * WINDOW_S))
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"task_id": task_id}))
    start = build_handler(clock=time.time, sleep=lambda _s: None)({"action": "evaluate"}, LambdaContext())
    assert (start["group"], start["acted"], start["desired"]) == (group, "scaled-out", 3)
    launched = members(group)
    assert [m["LifecycleState"] for m in launched.values()] == ["InService"] * 3

    # Two workers hold jobs and protect their instances; the third is idle; the queue drains.
    busy = sorted(launched)[:2]
    protections = [ScaleInProtection(autoscaling, group, instance_id) for instance_id in busy]
    assert all(p.acquire() for p in protections)
    sqs.purge_queue(QueueUrl=queue_url)
    for task_id in burst:
        store.delete_pending(task_id)

    after_window = build_handler(clock=lambda: time.time() + WINDOW_S + 60, sleep=lambda _s: None)
    scale_in = after_window({"action": "evaluate"}, LambdaContext())
    assert (scale_in["acted"], scale_in["desired"]) == ("scaled-in", 2)
    assert sorted(members(group)) == busy

    for protection in protections:
        protection.release()
    last = after_window({"action": "evaluate"}, LambdaContext())
    assert (last["acted"], last["desired"], members(group)) == ("scaled-in", 0, {})

    # A submit finds the group at zero: the API's wake starts one instance; the next finds it in service.
    wake = GpuFleetStarter(group, autoscaling, ttl_s=0.0)
    assert wake.ensure_starting("job-1") == STARTING
    assert [m["LifecycleState"] for m in members(group).values()] == ["InService"]
    assert wake.ensure_starting("job-2") == IN_SERVICE and wake.start_calls == 1
    autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=0, HonorCooldown=False)
