"""`make demo`: one job of each workflow through the running system (`make up`), results under out/.

Uploads the sample images with `gpujobs upload` (the API's presigned PUT, under the key's own prefix),
submits a camera-angle and a qwen-image-edit job with the `gpujobs` command, then waits for each, showing
its progress (the first job usually sees the GPU start), and saves the result images into out/.

Reads the API address from GPUJOBS_API_URL (default http://127.0.0.1:8080), the emulator from
AWS_ENDPOINT_URL (default http://127.0.0.1:4566), the key from .run/api-key.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = Path(os.environ.get("DEMO_OUT_DIR", ROOT / "out"))
LOCAL_DEFAULTS = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "GPUJOBS_OUTPUTS_FILE": str(ROOT / ".run" / "outputs.json"),
    "GPUJOBS_API_URL": "http://127.0.0.1:8080",
}


def cli(*argv: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gpujobs_cli.cli", *argv], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, check=False)


def main() -> int:
    for name, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from scripts.sample_image import colour_bars, png_bytes, reference_pattern

    api = os.environ["GPUJOBS_API_URL"]
    try:
        requests.get(f"{api}/health", timeout=5)
    except requests.RequestException:
        print(f"demo: the API at {api} does not answer; start the system with `make up` first", file=sys.stderr)
        return 1

    inputs = {"sample.png": png_bytes(colour_bars(512, 384)), "reference.png": png_bytes(reference_pattern())}
    uris = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, data in inputs.items():
            path = Path(folder) / name
            path.write_bytes(data)
            uploaded = cli("upload", str(path), capture=True)
            if uploaded.returncode != 0:
                print(f"demo: cannot upload the sample image {name}", file=sys.stderr)
                return uploaded.returncode
            uris[name] = uploaded.stdout.strip()
    image_url, reference_url = uris["sample.png"], uris["reference.png"]
    print(f"demo: uploaded {image_url} (512x384) and {reference_url}", flush=True)

    jobs = []
    for workflow, flags in [
        ("camera-angle", ["--image-url", image_url, "--prompt", "orbit the camera 30 degrees left", "--seed", "42"]),
        ("qwen-image-edit", ["--image-url", image_url, "--image2-url", reference_url,
                             "--prompt", "turn it into clean line art", "--denoise", "0.9", "--seed", "42"]),
    ]:
        submitted = cli("submit", workflow, *flags, "-q", capture=True)
        if submitted.returncode != 0:
            return submitted.returncode
        job_id = submitted.stdout.strip()
        print(f"demo: submitted {workflow} job {job_id}", flush=True)
        jobs.append((workflow, job_id))

    began = time.monotonic()
    failures = 0
    for workflow, job_id in jobs:
        print(f"demo: waiting for {workflow} job {job_id}", flush=True)
        waited = cli("wait", job_id, "--out", str(OUT_DIR), "--timeout", os.environ.get("DEMO_TIMEOUT_S", "900"))
        failures += waited.returncode != 0
    saved = [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)
             for _, job_id in jobs for p in sorted(OUT_DIR.glob(f"*{job_id}*"))]
    print(f"demo: {len(jobs) - failures} of {len(jobs)} jobs done in {time.monotonic() - began:.1f} s; "
          f"results: {', '.join(saved) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
