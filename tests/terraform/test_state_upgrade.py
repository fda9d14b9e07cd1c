"""Today's Terraform planned over states that older code applied replaces nothing.

The fixtures are `environments/local` of the commit before the pools, Lambdas and roles were
consolidated (tests/terraform/state_fixture.py made them), in the single- and multi-region modes.
The plan runs with -refresh=false, so it compares the code with the state alone; the emulator only
answers the account-id lookup. Resources that `moved` blocks carry must show up at their new
address and be neither destroyed nor replaced; creates of resources that are new (the Lambdas'
error alarms, the power roles' dead-letter policy) are fine, and so are in-place updates.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.state_fixture import FIXTURES, MODES, common_variables
from tests.terraform.terraform_cli import TERRAFORM_DIR, run_tf

pytestmark = pytest.mark.integration

LOCAL_ENV = TERRAFORM_DIR / "environments" / "local"
REV = "ff099ca"
NEW = ("aws_cloudwatch_metric_alarm.errors", 'aws_iam_role_policy.this["dead-letters-drain"]',
       # Each Lambda's throttle alarm, each pool's alarms.
       "aws_cloudwatch_metric_alarm.throttles", "aws_cloudwatch_metric_alarm.dead_letters",
       "aws_cloudwatch_metric_alarm.oldest_job", "aws_cloudwatch_metric_alarm.power_not_running",
       "aws_cloudwatch_metric_alarm.idle_gpu", "aws_cloudwatch_metric_alarm.capacity",
       # The API's read of its key table, and the routes of the job list and cancel.
       'aws_iam_role_policy.this["api-keys-read"]', 'aws_apigatewayv2_route.this["GET /api/v1/jobs"]',
       'aws_apigatewayv2_route.this["POST /api/v1/jobs/{job_id}/cancel"]')
# Whole modules that are new: each pool's GPU host (its settings, setup and logs), the ops topic,
# the API key table and the webhook delivery.
NEW_MODULES = (".module.host.", "module.stack.module.ops.", "module.stack.module.api_key_table.",
               "module.stack.module.webhook.")
# Deliberate removals, each with its reason. With the distributor the API wakes no instance (each
# pool's power run does), so its role no longer may start one.
REMOVED = {
    "multi": {'module.stack.module.api.module.function.aws_iam_role_policy.this["gpu-instance-start"]'},
}


@pytest.fixture(scope="module")
def data_dir(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("upgrade-data")
    init = run_tf(["init", "-input=false", "-backend=false", "-no-color"], LOCAL_ENV, data)
    assert init.returncode == 0, init.stderr
    return data


def planned_changes(mode: str, data_dir: Path, tmp_path: Path) -> list[dict[str, Any]]:
    state = tmp_path / "terraform.tfstate"
    shutil.copyfile(FIXTURES / f"state-{REV}-{mode}.tfstate", state)
    plan = tmp_path / "plan"
    result = run_tf(["plan", "-refresh=false", "-input=false", "-no-color", "-lock=false", f"-state={state}",
                     f"-out={plan}", *common_variables(), *MODES[mode]], LOCAL_ENV, data_dir)
    assert result.returncode == 0, result.stderr
    shown = run_tf(["show", "-json", str(plan)], LOCAL_ENV, data_dir)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["resource_changes"]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_new_code_over_old_state_replaces_nothing(mode: str, data_dir: Path, tmp_path: Path) -> None:
    changes = [c for c in planned_changes(mode, data_dir, tmp_path) if c["mode"] == "managed"]
    actions = {c["address"]: c["change"]["actions"] for c in changes}
    replaced = sorted(address for address, act in actions.items() if "delete" in act and "create" in act)
    assert replaced == [], f"replaced: {replaced}"
    deleted = {address for address, act in actions.items() if act == ["delete"]}
    assert deleted == REMOVED.get(mode, set())

    created = sorted(address for address, act in actions.items() if act == ["create"])
    assert created and all(address.endswith(NEW) or any(m in address for m in NEW_MODULES)
                           for address in created), created

    moved = {c["address"]: c["previous_address"] for c in changes if "previous_address" in c}
    old_state = json.loads((FIXTURES / f"state-{REV}-{mode}.tfstate").read_text())
    old = sum(len(r["instances"]) for r in old_state["resources"] if r["mode"] == "managed")
    # Every resource the old code made is planned for at its address or a new one: none is forgotten.
    assert len(changes) - len(created) == old
    assert moved["module.stack.module.home_pool.module.queue.aws_sqs_queue.this"] == (
        "module.stack.module.task_queue.aws_sqs_queue.this")
    assert moved["module.stack.module.home_pool.module.power.module.function.aws_lambda_function.this"] == (
        "module.stack.module.power.aws_lambda_function.this")
    assert moved["module.stack.module.api.module.function.aws_iam_role.this"] == (
        "module.stack.module.iam.aws_iam_role.api[0]")
    if mode == "multi":
        assert moved["module.second_pool[0].module.queue.aws_sqs_queue.this"] == (
            "module.second_pool[0].module.queue.module.queue.aws_sqs_queue.this")
        assert moved["module.second_pool[0].aws_iam_role.worker"] == (
            "module.second_pool[0].module.iam.aws_iam_role.gpu_instance")
