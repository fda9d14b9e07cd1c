"""Build the project's wheel for the GPU hosts: build/wheel/gpu_orchestrator-<version>-py3-none-any.whl.

Terraform uploads it (modules/build_artifact) under a key that holds its sha256, and a host installs
it when that differs from what it runs, so the same sources must give the same bytes: the wheel is
built from a copy of the repository's files (those git tracks or would track, as they are on disk,
never stale build output) with SOURCE_DATE_EPOCH fixed, which fixes every timestamp in it.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "build" / "wheel"
# 1980-01-01, the earliest time a zip entry can hold.
SOURCE_DATE_EPOCH = "315532800"


def source_files(root: Path = ROOT) -> list[Path]:
    """The files of the repository as git sees them: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True,
    ).stdout.decode()
    return sorted(root / name for name in listed.split("\0") if name and (root / name).is_file())


def build(out_dir: Path = DEFAULT_OUT, root: Path = ROOT) -> Path:
    """Build the wheel into `out_dir` (emptied first, so it holds exactly one wheel) and return it."""
    with tempfile.TemporaryDirectory(prefix="gpujobs-wheel-") as work:
        tree = Path(work) / "src"
        for path in source_files(root):
            target = tree / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        dist = Path(work) / "dist"
        environment = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONHASHSEED": "0"}
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--wheel-dir", str(dist), str(tree)],
            env=environment, check=True,
        )
        (wheel,) = dist.glob("gpu_orchestrator-*.whl")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        return Path(shutil.copy2(wheel, out_dir / wheel.name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default build/wheel)")
    wheel = build(parser.parse_args().out)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    print(f"{wheel.relative_to(ROOT) if wheel.is_relative_to(ROOT) else wheel} sha256={digest}")


if __name__ == "__main__":
    main()
