"""The Lambda zips hold what their Lambda needs and nothing of the rest of the project, and each
handler imports in a clean interpreter that sees only the zip and what the Lambda runtime provides."""

import hashlib
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from scripts import build_lambda_packages as builder

HANDLERS = {
    "api": "services.api.lambda_handler.lambda_handler",
    "shutdown": "services.shutdown_lambda.handler.lambda_handler",
    "distributor": "services.distributor_lambda.handler.lambda_handler",
    "webhook": "services.webhook_lambda.handler.lambda_handler",
}
# The Python Lambda runtime ships boto3 and what it needs; nothing else is assumed.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


@pytest.fixture(scope="module")
def packages() -> dict[str, Path]:
    built = builder.build([], builder.DEFAULT_OUT)
    return {path.stem: path for path in built}


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory standing for the runtime's own site-packages (boto3 and its dependencies)."""
    runtime = tmp_path_factory.mktemp("runtime")
    site = Path(sysconfig.get_paths()["purelib"])
    for name in RUNTIME_MODULES:
        source = site / name
        assert source.exists(), f"{name} is not installed in {site}"
        (runtime / name).symlink_to(source)
    return runtime


def test_every_package_is_built(packages: dict[str, Path]) -> None:
    assert set(packages) == set(HANDLERS)


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_package_holds_its_service_the_shared_package_and_no_other_code(name: str, packages: dict[str, Path]) -> None:
    service = next(p.service for p in builder.PACKAGES if p.name == name)
    with zipfile.ZipFile(packages[name]) as archive:
        names = archive.namelist()
    top_level = {n.split("/")[0] for n in names}
    services = {n.split("/")[1] for n in names if n.startswith("services/") and n.count("/") >= 2}
    assert services == {service}, f"{name}.zip holds services {services}"
    assert "services/__init__.py" in names
    assert "gpujobs/task_store.py" in names
    assert not top_level & {"boto3", "botocore", "tests", "terraform", "scripts"}, top_level
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    # The API builds its routes from the workflow folders; no other Lambda reads them.
    shipped = {f"workflows/{p.parent.name}/{p.name}" for p in (builder.ROOT / "workflows").glob("*/*.json")}
    if name == "api":
        assert shipped <= set(names) and "workflows/__init__.py" in names
    else:
        assert "workflows" not in top_level


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_handler_imports_in_a_clean_interpreter(
    name: str, packages: dict[str, Path], lambda_runtime: Path, tmp_path: Path
) -> None:
    task = tmp_path / "task"
    with zipfile.ZipFile(packages[name]) as archive:
        archive.extractall(task)
    module, function = HANDLERS[name].rsplit(".", 1)
    # The API's cold start loads the workflow folders: from the zip itself.
    loads_workflows = ("from gpujobs.workflows import load_registry\n"
                       "assert {'camera-angle', 'qwen-image-edit'} <= set(load_registry({}).by_name)\n")
    probe = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{str(task)!r}, {str(lambda_runtime)!r}]\n"
        f"handler = getattr(importlib.import_module({module!r}), {function!r})\n"
        "assert callable(handler)\n"
        f"{loads_workflows if name == 'api' else ''}"
        "leaked = [m.__file__ for m in list(sys.modules.values())\n"
        f"          if (getattr(m, '__file__', None) or '').startswith({str(builder.ROOT)!r})]\n"
        "assert not leaked, leaked\n"
        "print('ok')\n"
    )
    # -I: no user site, no PYTHON* variables, no script directory; -S: no site-packages at all.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_rebuild_without_changes_gives_identical_zips(packages: dict[str, Path]) -> None:
    """Terraform redeploys a Lambda when its zip's hash changes, so an unchanged tree must give the same bytes."""
    before = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in packages.items()}
    again = builder.build([], builder.DEFAULT_OUT)
    assert {path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in again} == before
