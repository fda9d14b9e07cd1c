"""Checks of terraform/ beyond `make lint-tf` (fmt, validate, checkov) and `make tf-test` (native
tests): the validation messages a person sees, environments that pass every output through and
whose every variable reaches the stack, and the settings files the stack and environments/aws share
with the pool module. No emulator, no network."""

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.terraform.terraform_cli import TERRAFORM_DIR, run_tf

ENVIRONMENTS = ["local", "aws"]
POOL_GROUPS = ["gpu", "host", "queue", "power", "lambda"]


def _init(module: Path, data_dir: Path) -> None:
    result = run_tf(["init", "-input=false", "-backend=false", "-no-color"], module, data_dir)
    assert result.returncode == 0, result.stderr + result.stdout


EXPECTED_MESSAGES = [
    "gpu.instance_id must be an EC2 instance id: i- followed by 8 or 17 hexadecimal digits.",
    "name_prefix may hold only lower-case letters, digits and hyphens",
    "queue.visibility_timeout_seconds must be an integer from 0 to 43200.",
    "queue.max_receive_count must be an integer from 1 to 1000.",
    "power.idle_minutes must be an integer from 1 to 1440.",
    "power.alarm_period_seconds must be 10, 30 or a multiple of 60.",
    "lambda.log_retention_days must be one of 1, 3, 5, 7, 14, 30,",
    "power.schedule_expression must be rate(N minutes|hours|days) or cron(...).",
    "api.timeout must be an integer from 1 to 30",
    "gpu.tag_key must be 1 to 128 characters not starting with aws:",
    "queue.receive_wait_time_seconds must be an integer from 0 to 20.",
    "power.reserved_concurrency must be -1 or a positive integer.",
    "api.domain_name and api.certificate_arn go together",
    "api.environment keys must be letters, digits and underscores",
    "results.retention_days must be an integer from 1 to 3650.",
    "Each key of remote_pools must be an AWS region name such as us-west-2.",
    "gpu.instance_type and gpu.fallback_instance_types must be EC2 instance types such as g6e.2xlarge,",
    "gpu.root_volume_size_gb must be an integer from 30 to 16384.",
    "host.log_retention_days must be one of 1, 3, 5, 7,",
    "gpu needs either instance_id (adopt an existing instance) or ami_id with subnet_id (create one), not both.",
    "gpu.ami_id must be an AMI id: ami- and 8 or 17 hexadecimal digits.",
]


def test_bad_values_are_rejected_with_their_messages(tmp_path: Path) -> None:
    _init(TERRAFORM_DIR, tmp_path)
    result = run_tf(["test", "-no-color", "-test-directory=tests/variable_messages"], TERRAFORM_DIR, tmp_path)
    assert result.returncode != 0, "a plan with invalid variables must fail"
    output = " ".join((result.stdout + result.stderr).split())
    missing = [m for m in EXPECTED_MESSAGES if m not in output]
    assert not missing, f"messages not shown: {missing}\n{output}"


def _blocks(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every top-level block of the module in `directory`, by kind, as python-hcl2 reads them."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for kind, entries in hcl2.load(handle).items():
                blocks.setdefault(kind, []).extend(entries)
    return blocks


def _output_names(directory: Path) -> set[str]:
    return {name.strip('"') for block in _blocks(directory).get("output", []) for name in block}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_passes_every_output_through(environment: str) -> None:
    root = _output_names(TERRAFORM_DIR)
    passed = _output_names(TERRAFORM_DIR / "environments" / environment)
    assert root - passed == set(), f"environments/{environment} does not pass through {sorted(root - passed)}"
    services_read = {"api_environment", "worker_environment", "power_environment", "distributor_environment"}
    assert services_read <= root


def unused_variables(directory: Path) -> set[str]:
    """Variables of a root module that reach no module call, resource, provider or output, directly
    or through locals: a setting a person could set to no effect."""
    blocks = _blocks(directory)
    declared = {name.strip('"') for block in blocks.get("variable", []) for name in block}
    locals_ = {name: str(value) for block in blocks.get("locals", []) for name, value in block.items()}
    kinds = ("module", "resource", "data", "provider", "output")
    users = [str(block) for kind in kinds for block in blocks.get(kind, [])]

    def reached(text: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = set(re.findall(r"\bvar\.(\w+)", text))
        for name in set(re.findall(r"\blocal\.(\w+)", text)) - seen:
            found |= reached(locals_.get(name, ""), seen | {name})
        return found

    used: set[str] = set()
    for text in users:
        used |= reached(text)
    return declared - used


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_variable_reaches_the_stack(environment: str) -> None:
    assert unused_variables(TERRAFORM_DIR / "environments" / environment) == set()


def test_a_variable_that_reaches_nothing_is_found(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "used" {}\nvariable "via_local" {}\nvariable "dead" {}\n'
        'locals {\n  x = var.via_local\n}\n'
        'module "m" {\n  source = "./m"\n  a = var.used\n  b = local.x\n}\n'
    )
    assert unused_variables(tmp_path) == {"dead"}


@pytest.mark.parametrize("link", ["pool_settings.tf", "environments/aws/pool_settings.tf"])
def test_pool_settings_are_the_pool_modules_own(link: str) -> None:
    """The stack passes gpu, queue, power and lambda to its pool unchanged, and environments/aws to
    its other pools: one declaration (types, defaults, ranges), or a setting would differ by pool."""
    path = TERRAFORM_DIR / link
    assert path.is_symlink() and path.samefile(TERRAFORM_DIR / "modules" / "gpu_pool" / "settings.tf")
    assert {name.strip('"') for block in _blocks(TERRAFORM_DIR)["variable"] for name in block} >= set(POOL_GROUPS)


def test_environment_aws_takes_the_stack_settings() -> None:
    assert (TERRAFORM_DIR / "environments/aws/stack_variables.tf").samefile(TERRAFORM_DIR / "variables.tf")


def test_only_environments_and_examples_configure_providers() -> None:
    """A module with a provider block cannot be called with count, for_each or depends_on, nor take
    its caller's provider settings: the stack and every module leave providers to their callers."""
    modules = [TERRAFORM_DIR, *(p for p in (TERRAFORM_DIR / "modules").rglob("*") if p.is_dir())]
    configuring = [d for d in modules if "examples" not in d.parts and _blocks(d).get("provider")]
    assert configuring == []
    assert _blocks(TERRAFORM_DIR / "environments" / "aws").get("provider")
