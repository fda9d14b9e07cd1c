"""Build the Lambda zips that Terraform deploys: build/lambda/{api,shutdown,distributor,webhook}.zip.

Each zip holds its service folder (as the package path services/<name>), services/__init__.py, the
shared gpujobs package, the top-level packages the service reads data from (the API: `workflows`,
the workflow folders it builds its routes and request models from) and the service's pip
dependencies, built for the Lambda platform (manylinux2014 x86_64, CPython 3.11) whatever machine
builds them. boto3 and botocore are left
out: the Python runtime has them.

Versions come from the pins in pyproject.toml, so the Lambdas run what the tests ran. Installed
dependencies are kept per (package, pins) under build/lambda/.deps, so a rebuild after a code change
only re-zips. A service folder that does not exist yet is skipped; the zip is built from what exists.
Zips are reproducible: fixed timestamps and sorted entries, so Terraform sees no change when nothing
changed.
"""

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "build" / "lambda"
PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.11"
# In the Lambda Python runtime already; shipping another copy only grows the zip.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Package:
    """One Lambda zip: its service folder and the distributions it needs at run time."""

    name: str
    service: str
    requirements: tuple[str, ...]
    data: tuple[str, ...] = ()  # top-level folders of the repository carried as they are


PACKAGES = (
    Package("api", "api", ("flask", "flask-openapi3", "flask-openapi3-swagger", "pydantic", "apig-wsgi"),
            data=("workflows",)),
    Package("shutdown", "shutdown_lambda", ("aws-lambda-powertools", "pydantic")),
    Package("distributor", "distributor_lambda", ("aws-lambda-powertools", "pydantic")),
    Package("webhook", "webhook_lambda", ("aws-lambda-powertools", "pydantic")),
)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Distribution name (normalised) -> its `name==version` pin from pyproject's dependencies."""
    data = tomllib.loads(pyproject.read_text())
    pins: dict[str, str] = {}
    for spec in data["project"]["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^;\s]+)", spec)
        if match:
            pins[_normalise(match.group(1))] = spec.split(";")[0].strip()
    return pins


def requirement_lines(package: Package, pins: dict[str, str]) -> list[str]:
    """The pinned requirement lines of a package; an unpinned dependency is an error, not a guess."""
    missing = [r for r in package.requirements if _normalise(r) not in pins]
    if missing:
        raise SystemExit(f"{package.name}: no == pin in pyproject.toml for {', '.join(missing)}")
    return sorted(pins[_normalise(r)] for r in package.requirements)


def install_dependencies(requirements: list[str], deps_root: Path) -> Path:
    """pip-install `requirements` for the Lambda platform into a cached directory and return it."""
    key = hashlib.sha256("\n".join([PLATFORM, PYTHON_VERSION, *requirements]).encode()).hexdigest()[:16]
    target = deps_root / key
    if (target / ".complete").exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    partial = deps_root / f"{key}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(partial),
        "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
        "--only-binary=:all:", "--upgrade",
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"pip failed for {' '.join(requirements)}:\n{result.stdout}{result.stderr}")
    for entry in list(partial.iterdir()):
        stem = entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name
        if entry.name == "bin" or _normalise(stem) in RUNTIME_PROVIDED:
            shutil.rmtree(entry)
    (partial / ".complete").write_text("\n".join(requirements) + "\n")
    partial.rename(target)
    return target


def _files_under(base: Path, relative_to: Path) -> list[tuple[Path, str]]:
    files = []
    for path in sorted(base.rglob("*")):
        if path.is_file() and not SKIPPED_NAMES.intersection(path.relative_to(relative_to).parts):
            if path.suffix in {".pyc", ".pyo"} or path.name == ".complete":
                continue
            files.append((path, path.relative_to(relative_to).as_posix()))
    return files


def package_files(package: Package, deps_dir: Path, source_root: Path = ROOT) -> list[tuple[Path, str]]:
    """(file on disk, name in the zip) for everything a package holds, sorted by name in the zip."""
    files = _files_under(deps_dir, deps_dir)
    files += _files_under(source_root / "gpujobs", source_root)
    for folder in package.data:
        files += _files_under(source_root / folder, source_root)
    services_init = source_root / "services" / "__init__.py"
    if services_init.exists():
        files.append((services_init, "services/__init__.py"))
    service_dir = source_root / "services" / package.service
    if service_dir.is_dir():
        files += _files_under(service_dir, source_root)
    else:
        print(f"{package.name}: services/{package.service}/ does not exist; zip built without it", file=sys.stderr)
    return sorted(files, key=lambda item: item[1])


def write_zip(files: list[tuple[Path, str]], destination: Path) -> None:
    """Write a reproducible zip: fixed timestamps, fixed permissions, given order."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path, name in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    partial.replace(destination)


def build(names: list[str], out_dir: Path) -> list[Path]:
    pins = pinned_versions()
    built = []
    for package in PACKAGES:
        if names and package.name not in names:
            continue
        deps = install_dependencies(requirement_lines(package, pins), out_dir / ".deps")
        destination = out_dir / f"{package.name}.zip"
        write_zip(package_files(package, deps), destination)
        print(f"{destination.relative_to(ROOT) if destination.is_relative_to(ROOT) else destination}"
              f" {destination.stat().st_size / 1e6:.1f} MB")
        built.append(destination)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help="packages to build (default: all of them)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default build/lambda)")
    args = parser.parse_args(argv)
    unknown = set(args.packages) - {p.name for p in PACKAGES}
    if unknown:
        parser.error(f"unknown package(s): {', '.join(sorted(unknown))}")
    build(args.packages, args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
