"""`make destroy` stops the GPU instances before anything else, against the emulator: a running
instance ends stopped, and an instance that no longer exists is passed over, not an error."""

import boto3
import pytest

from scripts.destroy_environment import Instance, stop_instances

pytestmark = pytest.mark.integration


def test_running_gpu_is_stopped_and_a_missing_one_passed_over(emulator: str) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    instance_id = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="g6e.2xlarge",
                                    MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    try:
        stop_instances([Instance(instance_id, "us-east-1"), Instance("i-0123456789abcdef0", "us-east-1")],
                       boto3.Session())
        state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]
        assert state["Name"] == "stopped"
    finally:
        ec2.terminate_instances(InstanceIds=[instance_id])
