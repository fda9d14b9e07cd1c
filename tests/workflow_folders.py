"""A WORKFLOWS_DIR of a test's own: the shipped folders it names, plus `scale-invert`, a workflow no
service knows in advance (load an image, scale it, invert it, save it: core nodes, no model)."""

import json
import shutil
from pathlib import Path

from gpujobs.workflow_spec import default_workflows_dir

EXTRA = "scale-invert"
GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}, "_meta": {"title": "Load image"}},
    "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 1.0},
          "_meta": {"title": "Scale"}},
    "3": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}, "_meta": {"title": "Invert"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": EXTRA},
          "_meta": {"title": "Save"}},
}
SPEC = {
    "name": EXTRA, "api_path": f"/api/v1/{EXTRA}/jobs", "description": "Scale an image, then invert it.",
    "inputs": {
        "image_url": {"type": "image_url", "required": True, "node": "Load image", "input": "image"},
        "scale_by": {"type": "number", "default": 0.5, "minimum": 0.25, "maximum": 2.0, "node": "Scale",
                     "input": "scale_by", "description": "size factor"},
        "upscale_method": {"type": "string", "default": "bilinear", "choices": ["bilinear", "bicubic"],
                           "node": "Scale", "input": "upscale_method"},
    },
    "outputs": ["Save"],
}


def write_workflows_dir(root: Path, shipped: tuple[str, ...] = ("camera-angle", "qwen-image-edit")) -> Path:
    """`root` holding copies of the `shipped` folders and the extra workflow; returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for name in shipped:
        shutil.copytree(default_workflows_dir() / name, root / name)
    extra = root / EXTRA
    extra.mkdir()
    (extra / "workflow.json").write_text(json.dumps(GRAPH, indent=2))
    (extra / "spec.json").write_text(json.dumps(SPEC, indent=2))
    (extra / "models.json").write_text("[]\n")
    return root
