"""The GPU host's setup script (terraform/modules/gpu_host/files/host_setup.sh), read as files: it
passes shellcheck, and every unit it installs from the build is in the package the build ships."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "terraform" / "modules" / "gpu_host" / "files" / "host_setup.sh"


def test_setup_and_lock_scripts_pass_shellcheck() -> None:
    shellcheck = Path(sys.executable).with_name("shellcheck")
    scripts = [SCRIPT, ROOT / "terraform" / "lock.sh"]
    result = subprocess.run([str(shellcheck), *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_installed_unit_ships_in_the_build() -> None:
    text = SCRIPT.read_text()
    units = re.search(r"^units=\((.*)\)$", text, re.MULTILINE)
    assert units is not None
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for unit in units.group(1).split():
        package = "services.adapter" if unit == "sqs-adapter.service" else "services.unified_api"
        assert (ROOT / package.replace(".", "/") / unit).is_file(), f"{unit} is not in {package}"
        assert "*.service" in package_data[package], f"{package} does not ship its units"
