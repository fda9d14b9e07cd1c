"""Run the project's Terraform wrapper (terraform/tf.sh) with an isolated data directory."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
TF = TERRAFORM_DIR / "tf.sh"


def run_tf(args: list[str], cwd: Path, data_dir: Path, env: dict[str, str] | None = None,
           timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`tf.sh ARGS` in `cwd` with TF_DATA_DIR=`data_dir`; output captured, never raises on failure."""
    environment = {**os.environ, **(env or {}), "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    return subprocess.run(
        [str(TF), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout, check=False,
    )

