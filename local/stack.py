"""Apply the project's own Terraform (`terraform/environments/local`) to the emulator.

The same modules that `make apply` sends to AWS; only variables differ. Terraform signs as the emulator's
admin (the credentials in `env`); moto checks its requests like any other. Each apply gets a fresh
state and data directory under `run_dir`, so test sessions and `make up` never share state.
Terraform is driven through python-terraform; its `destroy` passes a flag
modern Terraform removed (`-force`), so destroy is called with that flag off.
"""

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsNotFlagged, Terraform

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV_DIR = ROOT / "terraform" / "environments" / "local"
TF_WRAPPER = ROOT / "terraform" / "tf.sh"


class StackError(RuntimeError):
    """terraform failed; the message carries its stderr."""


@dataclass
class LocalStack:
    run_dir: Path
    env: dict[str, str]
    outputs: dict[str, Any]
    outputs_file: Path
    apply_seconds: float
    instance_state_after_apply: str | None = None
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def state_file(self) -> Path:
        return self.run_dir / "terraform.tfstate"

    def destroy(self) -> None:
        tf = _terraform(self.env, self.run_dir)
        code, _, err = tf.destroy(
            force=IsNotFlagged, auto_approve=True, state=str(self.state_file), capture_output=True,
            var=_variables(self.variables),
        )
        if code != 0:
            raise StackError(f"terraform destroy failed:\n{err}")


def _terraform(env: dict[str, str], run_dir: Path) -> Terraform:
    # python-terraform runs the binary with os.environ; the emulator endpoint, credentials and the
    # per-run data directory are put there for the duration of the call by `_environment`.
    os.environ.update(env)
    os.environ["TF_DATA_DIR"] = str(run_dir / ".terraform")
    os.environ.setdefault("TF_IN_AUTOMATION", "1")
    return Terraform(working_dir=str(LOCAL_ENV_DIR), terraform_bin_path=str(TF_WRAPPER))


def _variables(variables: dict[str, str]) -> dict[str, str]:
    packages = os.environ.get("LAMBDA_PACKAGES_DIR", str(ROOT / "build" / "lambda"))
    return {"lambda_packages_dir": packages, **variables}


def apply(env: dict[str, str], run_dir: Path, variables: dict[str, str] | None = None) -> LocalStack:
    """init + apply with a fresh state in `run_dir` (and these variables of the local environment), then
    write `outputs.json` there."""
    variables = dict(variables or {})
    run_dir.mkdir(parents=True, exist_ok=True)
    state = run_dir / "terraform.tfstate"
    if state.exists():
        state.unlink()
    started = time.monotonic()
    tf = _terraform(env, run_dir)
    code, _, err = tf.init(capture_output=True, input=False)
    if code != 0:
        raise StackError(f"terraform init failed:\n{err}")
    code, _, err = tf.apply(
        skip_plan=True, state=str(state), input=False, capture_output=True, var=_variables(variables),
        parallelism=20,
    )
    if code != 0:
        raise StackError(f"terraform apply failed:\n{err}")
    code, out, err = tf.cmd("output", "-json", f"-state={state}", capture_output=True)
    if code != 0:
        raise StackError(f"terraform output failed:\n{err}")
    outputs_file = run_dir / "outputs.json"
    outputs_file.write_text(out)
    values = {name: entry["value"] for name, entry in json.loads(out).items()}
    return LocalStack(run_dir, env, values, outputs_file, time.monotonic() - started, variables=variables)
