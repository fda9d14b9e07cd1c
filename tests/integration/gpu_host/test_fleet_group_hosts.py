"""`make up` with a fleet runs one emulated GPU host per instance of the pool's group: the watcher
(local/fleet_hosts.py) reads a real group in the emulator, starts a real host (`python -m local.gpu_host`)
for each InService instance with that instance's id and its slot's ports, stops the host of an instance
the group takes out, and gives the freed slot to the next instance. The group is the test's own (a
launch template of the stack's image), so the stack's pool is untouched; the children are commands of
the test's own, so no worker consumes the session's queue."""

import sys
import uuid
from pathlib import Path

import pytest

from gpujobs import aws_clients
from gpujobs.settings import Settings
from local.emulator import free_port
from local.fleet_hosts import FleetHosts, group_reader, instance_environment
from tests.polling import wait_until

pytestmark = pytest.mark.integration

# Writes what the host handed the worker, then waits for SIGTERM.
FAKE_WORKER = (
    "import os, sys, time, pathlib\n"
    "pathlib.Path(sys.argv[1], os.environ['GPU_INSTANCE_ID']).write_text(' '.join(\n"
    "    [os.environ.get('WORKER_ID', ''), os.environ.get('UNIFIED_API_URL', '')]))\n"
    "while True: time.sleep(0.1)\n"
)


@pytest.fixture
def group(stack):
    """A group of our own, two instances at once (moto launches them InService); deleted afterwards."""
    ec2, autoscaling = aws_clients.client("ec2"), aws_clients.client("autoscaling")
    image = ec2.describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"][0]["Instances"][0]["ImageId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    name = f"fleet-hosts-{uuid.uuid4().hex[:8]}"
    ec2.create_launch_template(LaunchTemplateName=name,
                               LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=3, DesiredCapacity=2,
                                          LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"},
                                          VPCZoneIdentifier=subnet)
    yield name
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    ec2.delete_launch_template(LaunchTemplateName=name)


def serving(group: str) -> list[str]:
    found = aws_clients.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return sorted(i["InstanceId"] for i in found["AutoScalingGroups"][0]["Instances"]
                  if i["LifecycleState"] == "InService")


def test_one_host_per_instance_of_the_group_each_on_its_slots_ports(group, processes, tmp_path: Path):
    autoscaling = aws_clients.client("autoscaling")
    unified_base, comfyui_base = free_port(), free_port()
    settings = Settings({"LOCAL_UNIFIED_API_PORT": str(unified_base), "LOCAL_COMFYUI_PORT": str(comfyui_base),
                         "LOCAL_COMFYUI_DIR": str(tmp_path / "comfyui")})
    marks = tmp_path / "workers"
    marks.mkdir()
    worker_script = tmp_path / "fake_worker.py"
    worker_script.write_text(FAKE_WORKER)

    def start(slot: int, instance_id: str):
        return processes([sys.executable, "-m", "local.gpu_host"], {
            "LOCAL_UNIFIED_API_PORT": str(unified_base), "LOCAL_COMFYUI_PORT": str(comfyui_base),
            **instance_environment(slot, instance_id, settings),
            "BOOT_DELAY_S": "0", "LOCAL_GPU_POLL_S": "0.2", "LOCAL_GPU_READY_TIMEOUT_S": "0",
            "LOCAL_GPU_COMFYUI_CMD": "sleep 600", "LOCAL_GPU_UNIFIED_CMD": "sleep 600",
            "LOCAL_GPU_WORKER_CMD": f"{sys.executable} {worker_script} {marks}"}, log_name=f"host-{instance_id}")

    fleet = FleetHosts(group_reader(autoscaling, group), start, slots=3)
    first = serving(group)
    assert len(first) == 2
    fleet.tick()
    assert {i: h.slot for i, h in fleet.hosts.items()} == {first[0]: 0, first[1]: 1}

    def worker_saw(instance_id: str) -> str:
        mark = marks / instance_id
        return mark.read_text() if mark.exists() else ""

    for slot, instance_id in enumerate(first):
        seen = wait_until(lambda i=instance_id: worker_saw(i), 30, f"the worker of {instance_id}", every_s=0.2)
        assert seen == f"{instance_id} http://127.0.0.1:{unified_base + slot}"

    # The group takes an instance out: its host gets SIGTERM and exits, the other keeps running.
    autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=1, HonorCooldown=False)
    (kept,) = serving(group)
    (gone,) = set(first) - {kept}
    leaving = fleet.hosts[gone]
    fleet.tick()
    assert leaving.stopping_since is not None
    wait_until(lambda: (fleet.tick(), gone not in fleet.hosts)[1], 30, "the host of the instance that left to exit",
               every_s=0.2)
    assert leaving.process.poll() is not None and fleet.hosts[kept].process.poll() is None
    assert fleet.failed() == []

    # A new instance takes the freed slot, with that slot's ports.
    autoscaling.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=2, HonorCooldown=False)
    (new,) = set(serving(group)) - {kept}
    fleet.tick()
    assert fleet.hosts[new].slot == leaving.slot
    seen = wait_until(lambda: worker_saw(new), 30, f"the worker of {new}", every_s=0.2)
    assert seen == f"{new} http://127.0.0.1:{unified_base + leaving.slot}"
