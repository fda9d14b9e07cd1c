"""`python -m local.comfyui_double --port 8188 --dir .run/comfyui`: a ComfyUI test double on loopback.

Model file lists come from the models.json of every folder under --workflows (default: the
WORKFLOWS_DIR the services use), plus any real files under <dir>/models/<folder>/, so the shipped
graphs validate without the model files being present.
"""

import argparse
import json
import logging
import sys
from pathlib import Path

from aiohttp import web

from gpujobs.workflow_spec import workflows_dir
from local.comfyui_double.catalogue import load_catalogue, model_files_from_dir, model_files_from_workflows
from local.comfyui_double.server import ComfyDouble, Knobs, build_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--dir", type=Path, default=Path(".run/comfyui"),
                        help="base folder: input/, output/, temp/ and models/ beneath it")
    parser.add_argument("--workflows", type=Path, default=None, help="workflow folders whose models.json to list")
    parser.add_argument("--knobs", default="{}", help='initial test knobs as JSON, e.g. {"node_latency_s": 0.1}')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s comfyui-double %(levelname)s %(message)s")

    base = args.dir.resolve()
    files = model_files_from_workflows(args.workflows or workflows_dir())
    for folder, names in model_files_from_dir(base / "models").items():
        files.setdefault(folder, set()).update(names)
    catalogue = load_catalogue(files)
    knobs = Knobs()
    try:
        knobs.update(json.loads(args.knobs))
    except ValueError as exc:
        print(f"--knobs: {exc}", file=sys.stderr)
        return 2
    double = ComfyDouble(base, catalogue, knobs)
    logging.info("ComfyUI %s double (catalogue from commit %s) on http://%s:%d, folders under %s",
                 catalogue["version"], catalogue["commit"][:12], args.host, args.port, base)
    web.run_app(build_app(double), host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
