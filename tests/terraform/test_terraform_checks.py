"""Checks of terraform/ beyond `make lint-tf` (fmt, validate, checkov) and `make tf-test` (native
tests): the validation messages a person sees, and environments that pass every output through.
No emulator, no network."""

import re
from pathlib import Path

import pytest

from tests.terraform.terraform_cli import TERRAFORM_DIR, run_tf


def _init(module: Path, data_dir: Path) -> None:
    result = run_tf(["init", "-input=false", "-backend=false", "-no-color"], module, data_dir)
    assert result.returncode == 0, result.stderr + result.stdout


EXPECTED_MESSAGES = [
    "gpu_instance_id must be an EC2 instance id: i- followed by 8 or 17 hexadecimal digits.",
    "name_prefix may hold only lower-case letters, digits and hyphens",
    "task_queue_visibility_timeout_seconds must be an integer from 0 to 43200.",
    "task_queue_max_receive_count must be an integer from 1 to 1000.",
    "idle_minutes must be an integer from 1 to 1440.",
    "alarm_period_seconds must be 10, 30 or a multiple of 60.",
    "log_retention_days must be one of 1, 3, 5, 7, 14, 30,",
    "power_schedule_expression must be rate(N minutes|hours|days) or cron(...).",
]


def test_bad_values_are_rejected_with_their_messages(tmp_path: Path) -> None:
    _init(TERRAFORM_DIR, tmp_path)
    result = run_tf(["test", "-no-color", "-test-directory=tests/variable_messages"], TERRAFORM_DIR, tmp_path)
    assert result.returncode != 0, "a plan with invalid variables must fail"
    output = " ".join((result.stdout + result.stderr).split())
    missing = [m for m in EXPECTED_MESSAGES if m not in output]
    assert not missing, f"messages not shown: {missing}\n{output}"


def _output_names(path: Path) -> set[str]:
    return set(re.findall(r'^output "([^"]+)"', path.read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize("environment", ["local", "aws"])
def test_environment_passes_every_output_through(environment: str) -> None:
    root = _output_names(TERRAFORM_DIR / "outputs.tf")
    passed = _output_names(TERRAFORM_DIR / "environments" / environment / "outputs.tf")
    assert root - passed == set(), f"environments/{environment} does not pass through {sorted(root - passed)}"
    services_read = {"aws_region", "task_queue_url", "task_dlq_url", "task_table_name", "gpu_instance_id",
                     "results_bucket_name"}
    assert services_read <= root
