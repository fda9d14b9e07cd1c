"""Reading the instance's state from EC2 (moto in process)."""

import pytest
from moto import mock_aws

from gpujobs import aws_clients
from local.gpu_host.gpu_host import ec2_instance_state


@pytest.fixture
def ec2(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws_clients.reset_clients()
    with mock_aws():
        yield aws_clients.client("ec2", "us-east-1")
    aws_clients.reset_clients()


def test_state_follows_start_and_stop(ec2):
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    read = ec2_instance_state(instance_id)
    assert read() == "running"
    ec2.stop_instances(InstanceIds=[instance_id])
    assert read() == "stopped"


def test_an_unknown_instance_reads_as_none(ec2):
    assert ec2_instance_state("i-0123456789abcdef0")() is None
