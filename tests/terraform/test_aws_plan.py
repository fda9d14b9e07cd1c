"""`terraform plan` of environments/aws against the emulator (a fake account), the way `make plan
ENV=aws` runs it: state in S3 with a lock file, the account pinned by allowed_account_ids. Once with
the GPU host created from its launch template, once with an existing instance adopted. Plans only:
nothing is applied, so the two run side by side in a few seconds."""

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest

from scripts import build_wheel
from tests.terraform.terraform_cli import ROOT, TERRAFORM_DIR, TF

pytestmark = pytest.mark.integration

AWS_ENV = TERRAFORM_DIR / "environments" / "aws"
# The account moto answers for.
ACCOUNT = "123456789012"
# An AMI moto knows (with a root device name, as a GPU AMI has).
AMI = "ami-12c6146b"


@dataclass
class Plan:
    returncode: int
    output: str
    document: dict[str, Any]

    def resources(self, type_: str) -> list[dict[str, Any]]:
        """The planned resources of a type, each as its `change.after` values plus its address."""
        return [{**(c["change"]["after"] or {}), "address": c["address"]}
                for c in self.document.get("resource_changes", []) if c["type"] == type_]

    def actions(self) -> set[str]:
        """What the plan does to managed resources (data sources read at apply time are left out)."""
        return {a for c in self.document.get("resource_changes", []) if c["mode"] == "managed"
                for a in c["change"]["actions"]}

    def output_value(self, name: str) -> Any:
        return self.document["planned_values"]["outputs"][name].get("value")


def _start_plan(tmp: Path, name: str, variables: dict[str, Any], bucket: str) -> subprocess.Popen[str]:
    """init with an S3 backend on the emulator, then plan to a file and show it as JSON."""
    data = tmp / f"{name}.data"
    backend = tmp / f"{name}.backend.hcl"
    backend.write_text(
        f'bucket = "{bucket}"\nkey = "{name}/terraform.tfstate"\nregion = "us-east-1"\n'
        "use_lockfile = true\nuse_path_style = true\n"
    )
    tfvars = tmp / f"{name}.tfvars.json"
    tfvars.write_text(json.dumps({"allowed_account_ids": [ACCOUNT], **variables}))
    plan = tmp / f"{name}.tfplan"
    script = (
        f'set -e; "{TF}" init -input=false -no-color -backend-config="{backend}" >/dev/null;'
        f' "{TF}" plan -input=false -no-color -var-file="{tfvars}" -out="{plan}" >"{tmp / name}.log" 2>&1;'
        f' "{TF}" show -json "{plan}"'
    )
    environment = {**os.environ, "TF_DATA_DIR": str(data), "TF_IN_AUTOMATION": "1"}
    return subprocess.Popen(["bash", "-c", script], cwd=AWS_ENV, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str], log: Path) -> Plan:
    stdout, stderr = process.communicate(timeout=300)
    output = (log.read_text() if log.exists() else "") + stderr
    document = json.loads(stdout) if process.returncode == 0 and stdout.strip() else {}
    return Plan(process.returncode, output, document)


@pytest.fixture(scope="module")
def plans(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Plan]]:
    if not list((ROOT / "build" / "wheel").glob("gpu_orchestrator-*.whl")):
        build_wheel.build()
    tmp = tmp_path_factory.mktemp("aws-plan")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    adopted = ec2.run_instances(ImageId=AMI, InstanceType="g6e.2xlarge", MinCount=1, MaxCount=1)["Instances"][0]
    bucket = f"tfstate-{uuid4().hex[:12]}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    runs = {
        "created": {"gpu": {"ami_id": AMI, "subnet_id": subnet, "fallback_instance_types": ["g6.2xlarge"]}},
        "adopted": {"gpu": {"instance_id": adopted["InstanceId"], "manage_tag": True}},
    }
    started = {name: _start_plan(tmp, name, variables, bucket) for name, variables in runs.items()}
    results = {name: _finish(process, tmp / f"{name}.log") for name, process in started.items()}
    results["adopted"].instance_id = adopted["InstanceId"]  # type: ignore[attr-defined]
    yield results
    ec2.terminate_instances(InstanceIds=[adopted["InstanceId"]])


def test_plan_with_the_gpu_host_created(plans: dict[str, Plan]) -> None:
    plan = plans["created"]
    assert plan.returncode == 0, plan.output
    assert plan.actions() == {"create"}, "a first plan only creates"
    (template,) = plan.resources("aws_launch_template")
    assert template["image_id"] == AMI and template["instance_type"] == "g6e.2xlarge"
    assert template["metadata_options"][0]["http_tokens"] == "required"
    (volume,) = template["block_device_mappings"]
    assert volume["device_name"] == "/dev/sda1" and volume["ebs"][0]["encrypted"] == "true"
    assert template["network_interfaces"][0]["associate_public_ip_address"] == "false"
    assert template["iam_instance_profile"][0]["name"] == "gpu-instance-profile"
    tagged = {spec["resource_type"]: spec["tags"] for spec in template["tag_specifications"]}
    assert tagged["instance"]["Purpose"] == tagged["volume"]["Purpose"] == "GPU-ComfyUI"
    assert tagged["volume"]["Project"] == "gpu-orchestrator", "the volumes carry the project's tags"
    assert len(plan.resources("aws_instance")) == 1
    assert plan.resources("aws_vpc_security_group_ingress_rule") == [], "the host has no inbound rule"
    (document,) = plan.resources("aws_ssm_document")
    assert "GPUJOBS_BUILD_PARAMETER" in document["content"]
    (wheel,) = plan.resources("aws_s3_object")
    assert wheel["key"].startswith("builds/") and wheel["key"].endswith("-py3-none-any.whl")
    # The settings and environments hold queue URLs, known only after apply: the native tests
    # (terraform/tests/gpu_pool.tftest.hcl) check their values.
    parameters = {p["name"] for p in plan.resources("aws_ssm_parameter")}
    assert parameters == {"/gpu-orchestrator/worker-environment", "/gpu-orchestrator/build",
                          "/gpu-orchestrator/cloudwatch-agent"}


def test_plan_with_the_gpu_host_adopted(plans: dict[str, Plan]) -> None:
    plan = plans["adopted"]
    instance_id = plan.instance_id  # type: ignore[attr-defined]
    assert plan.returncode == 0, plan.output
    assert plan.actions() == {"create"}
    assert plan.resources("aws_instance") == [] and plan.resources("aws_launch_template") == []
    (tag,) = plan.resources("aws_ec2_tag")
    assert tag["resource_id"] == instance_id and (tag["key"], tag["value"]) == ("Purpose", "GPU-ComfyUI")
    assert plan.output_value("gpu_instance_id") == instance_id
    (document,) = plan.resources("aws_ssm_document")
    assert document["name"] == "gpu-orchestrator-host-setup", "an adopted host is set up by the same document"
    (profile,) = plan.resources("aws_iam_instance_profile")
    assert profile["name"] == "gpu-instance-profile"
