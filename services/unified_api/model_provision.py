"""`python -m services.unified_api.model_provision --models-dir /opt/ComfyUI/models`: fetch the model
files the installed workflows need, from their models.json.

Files already present are skipped (their size is checked when models.json gives it; --verify hashes
them too). Downloads resume: a `<file>.part` left by an interrupted run is continued with an HTTP
Range request. A finished download is checked against models.json's size and sha256 where they are
given; where they are not, the report says so. HF_TOKEN, when set, is sent to huggingface.co.
Exit status 1 when any file could not be provided.
"""

import argparse
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from gpujobs.workflow_spec import ModelFile, load_workflows, workflows_dir

CHUNK = 4 * 1024 * 1024


@dataclass
class Outcome:
    model: ModelFile
    path: Path
    state: str  # "present", "downloaded", "failed"
    note: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _headers(url: str, offset: int) -> dict[str, str]:
    headers = {"User-Agent": "gpujobs-model-provision"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    token = os.environ.get("HF_TOKEN", "").strip()
    if token and urlsplit(url).hostname == "huggingface.co":
        headers["Authorization"] = f"Bearer {token}"
    return headers


def download(url: str, part: Path, session: requests.Session, timeout_s: float = 60.0,
             progress: Callable[[int], None] | None = None) -> None:
    """Append the rest of `url` to `part`, starting where it ends (a 200 answer starts over)."""
    offset = part.stat().st_size if part.exists() else 0
    with session.get(url, headers=_headers(url, offset), stream=True, timeout=(10, timeout_s),
                     allow_redirects=True) as response:
        if response.status_code == 416 and offset:
            return  # nothing left to fetch: the partial file is whole
        if response.status_code not in (200, 206):
            raise OSError(f"HTTP {response.status_code} from {url}")
        mode = "ab" if response.status_code == 206 and offset else "wb"
        with part.open(mode) as handle:
            for block in response.iter_content(CHUNK):
                handle.write(block)
                if progress is not None:
                    progress(len(block))


def check(model: ModelFile, path: Path, hash_it: bool) -> str:
    """'' when fine, else what is wrong; raises nothing."""
    size = path.stat().st_size
    if model.bytes is not None and size != model.bytes:
        return f"size {size} is not the {model.bytes} bytes models.json gives"
    if hash_it and model.sha256 and sha256_of(path) != model.sha256:
        return "sha256 differs from models.json"
    return ""


def provision(model: ModelFile, models_dir: Path, session: requests.Session, verify: bool) -> Outcome:
    path = models_dir / model.folder / model.file
    unchecked = [name for name, value in (("sha256", model.sha256), ("size", model.bytes)) if not value]
    note_unchecked = f"; not checked: {' and '.join(unchecked)} (not published in models.json)" if unchecked else ""
    if path.exists():
        problem = check(model, path, verify)
        if problem:
            return Outcome(model, path, "failed", f"present but {problem}")
        return Outcome(model, path, "present", ("verified" if verify and model.sha256 else "skipped") + note_unchecked)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        download(model.url, part, session)
    except (OSError, requests.RequestException) as exc:
        return Outcome(model, path, "failed", f"download stopped ({exc}); run again to resume from "
                       f"{part.stat().st_size if part.exists() else 0} bytes")
    problem = check(model, part, True)
    if problem:
        part.rename(path.with_name(path.name + ".rejected"))
        return Outcome(model, path, "failed", f"downloaded file rejected: {problem}")
    part.rename(path)
    checked = "size and sha256 checked" if not unchecked else note_unchecked.lstrip("; ")
    return Outcome(model, path, "downloaded", checked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True, help="ComfyUI's models folder")
    parser.add_argument("--workflows", type=Path, default=None, help="workflow folders (default WORKFLOWS_DIR)")
    parser.add_argument("--verify", action="store_true", help="hash files already present too (slow)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be fetched")
    args = parser.parse_args(argv)
    workflows = load_workflows(args.workflows or workflows_dir())
    wanted: dict[tuple[str, str], ModelFile] = {}
    for spec in workflows.values():
        for model in spec.models:
            wanted.setdefault((model.folder, model.file), model)
    if args.dry_run:
        for model in wanted.values():
            present = (args.models_dir / model.folder / model.file).exists()
            print(f"{'present' if present else 'missing'} {model.folder}/{model.file} <- {model.url}")
        return 0
    session = requests.Session()
    failed = 0
    for model in wanted.values():
        outcome = provision(model, args.models_dir, session, args.verify)
        failed += outcome.state == "failed"
        print(f"{outcome.state:10} {model.folder}/{model.file}: {outcome.note}", flush=True)
    print(f"{len(wanted) - failed} of {len(wanted)} model files in place under {args.models_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
