"""Reading the instance's state from EC2 (moto in process)."""

from local.gpu_host.gpu_host import ec2_instance_state


def test_state_follows_start_and_stop(moto_clients):
    ec2 = moto_clients.ec2
    instance_id = moto_clients.instance()
    read = ec2_instance_state(instance_id)
    assert read() == "running"
    ec2.stop_instances(InstanceIds=[instance_id])
    assert read() == "stopped"


def test_an_unknown_instance_reads_as_none(moto_clients):
    assert ec2_instance_state("i-0123456789abcdef0")() is None
