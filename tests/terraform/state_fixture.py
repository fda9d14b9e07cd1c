"""Make the state fixtures of test_state_upgrade.py: `environments/local` of an older commit, applied
to a fresh emulator, in its single-region and its multi-region mode.

    python -m tests.terraform.state_fixture ff099ca

writes tests/terraform/fixtures/state-<rev>-{single,multi}.tfstate. Run once per refactoring whose
`moved` blocks are to be kept honest; the test then plans today's code over these states.
"""

import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from local import emulator
from tests.terraform.terraform_cli import ROOT, run_tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Relative to the environment's directory, so the Lambdas' `filename` is the same in every checkout.
PACKAGES_DIR = "../../tests/packages"
MODES = {"single": [], "multi": ["-var=distributor_enabled=true"]}


def common_variables() -> list[str]:
    return [f"-var=lambda_packages_dir={PACKAGES_DIR}"]


def export_terraform(rev: str, into: Path) -> Path:
    """The terraform/ directory of `rev`, as `git archive` gives it."""
    archive = subprocess.run(["git", "archive", rev, "terraform"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "terraform"


def make(rev: str) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory(prefix="state-fixture-") as tmp:
        work = Path(tmp)
        local_env = export_terraform(rev, work) / "environments" / "local"
        for mode, variables in MODES.items():
            running = emulator.start(log_path=work / f"moto-{mode}.log")
            try:
                env = running.environment()
                data = work / f"data-{mode}"
                state = work / f"{mode}.tfstate"
                for args in (["init", "-input=false", "-no-color"],
                             ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20",
                              f"-state={state}", *common_variables(), *variables]):
                    result = run_tf(args, local_env, data, env=env)
                    if result.returncode != 0:
                        raise SystemExit(f"terraform {args[0]} ({mode}) failed:\n{result.stderr}")
            finally:
                running.stop()
            target = FIXTURES / f"state-{rev}-{mode}.tfstate"
            FIXTURES.mkdir(exist_ok=True)
            # Compact: the plan reads it as well, and the diff stays small.
            target.write_text(json.dumps(json.loads(state.read_text()), separators=(",", ":")) + "\n")
            written.append(target)
    return written


if __name__ == "__main__":
    for path in make(sys.argv[1] if len(sys.argv) > 1 else "ff099ca"):
        print(f"wrote {path.relative_to(ROOT)}")
