"""`make destroy ENV=...`: stop the GPU instances, keep the data, then `terraform destroy`.

The GPU instances are stopped first (and waited for, bounded): the power Lambda that would stop an
idle one goes with the stack, and an adopted instance outlives it. The task table and the results
bucket are taken out of the state before the destroy (kept in the account, named in the output, to
be imported again by a later deployment) unless --delete-data is given; then the table must have
deletion protection off and the bucket force_destroy on (both applied first), or this says which
setting to change, before anything is touched.
"""

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError, WaiterError

ROOT = Path(__file__).resolve().parent.parent
TF = ROOT / "terraform" / "tf.sh"
# The data a deployment keeps unless told otherwise: the jobs' records and their results.
DATA_MODULES = ("module.stack.module.task_table", "module.stack.module.results_bucket")
STOP_WAIT_S = 600


class DestroyRefused(RuntimeError):
    """The destroy cannot go ahead; the message says what to change."""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    region: str


def gpu_instances(outputs: dict[str, Any]) -> list[Instance]:
    """The GPU instances of every pool, from the environment's outputs."""
    found = []
    if outputs.get("gpu_instance_id"):
        found.append(Instance(outputs["gpu_instance_id"], outputs["aws_region"]))
    second = outputs.get("second_pool")
    if second and second.get("gpu_instance_id"):
        found.append(Instance(second["gpu_instance_id"], second["region"]))
    return found


def _in_module(address: str, module: str) -> bool:
    return address == module or address.startswith(module + ".")


def data_addresses(state_addresses: list[str]) -> list[str]:
    """The state addresses of the kept data: every resource under the table and bucket modules."""
    return [a for a in state_addresses if any(_in_module(a, m) for m in DATA_MODULES)]


def refusal_to_delete_data(state: dict[str, Any]) -> str | None:
    """Why the table and bucket could not be deleted as the state stands, or None."""
    reasons = []
    for resource in _resources(state):
        values = resource.get("values") or {}
        table = resource["type"] == "aws_dynamodb_table" and _in_module(resource["address"], DATA_MODULES[0])
        if table and values.get("deletion_protection_enabled"):
            reasons.append(f"the task table {values.get('name')} has deletion protection: set "
                           "table = { deletion_protection = false }, then make plan and make apply")
        bucket = resource["type"] == "aws_s3_bucket" and _in_module(resource["address"], DATA_MODULES[1])
        if bucket and not values.get("force_destroy"):
            reasons.append(f"the results bucket {values.get('bucket')} may hold results: set "
                           "results = { force_destroy = true }, then make plan and make apply")
    return "; ".join(reasons) or None


def _resources(state: dict[str, Any]) -> list[dict[str, Any]]:
    def walk(module: dict[str, Any]) -> list[dict[str, Any]]:
        found = list(module.get("resources", []))
        for child in module.get("child_modules", []):
            found += walk(child)
        return found

    return walk(state.get("values", {}).get("root_module", {}))


def stop_instances(instances: list[Instance], session: boto3.Session) -> None:
    for instance in instances:
        ec2 = session.client("ec2", region_name=instance.region)
        try:
            ec2.stop_instances(InstanceIds=[instance.instance_id])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "InvalidInstanceID.NotFound":
                print(f"GPU instance {instance.instance_id} does not exist; nothing to stop")
                continue
            if code != "IncorrectInstanceState":
                raise
        print(f"stopping GPU instance {instance.instance_id} ({instance.region})")
        try:
            ec2.get_waiter("instance_stopped").wait(
                InstanceIds=[instance.instance_id], WaiterConfig={"Delay": 10, "MaxAttempts": STOP_WAIT_S // 10})
        except WaiterError as exc:
            raise DestroyRefused(f"GPU instance {instance.instance_id} did not stop within {STOP_WAIT_S} s "
                                 f"({exc}); stop it by hand and run make destroy again") from None


def session_for(env_dir: Path) -> boto3.Session:
    """Terraform's identity: the role in terraform.tfvars' assume_role when there is one."""
    tfvars = env_dir / "terraform.tfvars"
    role = None
    if tfvars.exists():
        import hcl2

        with tfvars.open() as handle:
            role = (hcl2.load(handle).get("assume_role") or {}).get("role_arn")
    if not role:
        return boto3.Session()
    credentials = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="gpu-orchestrator-destroy")
    c = credentials["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"])


def terraform(env_dir: Path, *args: str, capture: bool = True) -> str:
    result = subprocess.run([str(TF), *args], cwd=env_dir, capture_output=capture, text=True, check=False)
    if result.returncode != 0:
        raise DestroyRefused(f"terraform {args[0]} failed:\n{result.stderr if capture else ''}")
    return result.stdout if capture else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_dir", type=Path, help="the environment's directory (terraform/environments/ENV)")
    parser.add_argument("--delete-data", action="store_true", help="delete the task table and results bucket too")
    args = parser.parse_args(argv)
    env_dir = args.env_dir.resolve()
    try:
        state = json.loads(terraform(env_dir, "show", "-json") or "{}")
        if not _resources(state):
            print(f"nothing is deployed in {env_dir.name}: the state is empty")
            return 0
        if args.delete_data and (reason := refusal_to_delete_data(state)):
            raise DestroyRefused(f"cannot delete the data: {reason}")
        outputs = {k: v["value"] for k, v in json.loads(terraform(env_dir, "output", "-json")).items()}
        stop_instances(gpu_instances(outputs), session_for(env_dir))
        if not args.delete_data:
            kept = data_addresses(terraform(env_dir, "state", "list").split())
            if kept:
                terraform(env_dir, "state", "rm", *kept)
                print(f"kept the task table {outputs.get('task_table_name')} and the results bucket "
                      f"{outputs.get('results_bucket_name')} (out of the state; import them to use them "
                      "again, see docs/operations.md; DESTROY_DATA=yes deletes them)")
        terraform(env_dir, "destroy", "-input=true", capture=False)
    except DestroyRefused as exc:
        print(f"make destroy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
