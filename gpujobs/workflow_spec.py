"""Workflows as data: one folder per workflow, read the same way by every service.

A folder holds `workflow.json` (the graph in ComfyUI's API format, as "Export (API)" saves it),
`spec.json` (the request fields and where each one goes in the graph) and `models.json` (the model
files the graph needs). `load_workflows()` reads every folder of WORKFLOWS_DIR (default: the
`workflows` package installed beside this one) and refuses a bad folder with a WorkflowSpecError
that names the file and the field, so a service stops at start rather than failing a job later.

From a spec come the request model (pydantic, extra fields refused, image URLs syntax-checked) and
`inject()`, which writes validated values into a copy of the graph. Everything here is pure and
cheap: the API Lambda builds its request models from it on a cold start.
"""

import copy
import hashlib
import json
import os
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, create_model

from gpujobs.url_guard import UnsafeUrl, check_syntax
from gpujobs.webhook_events import WebhookOptions

WORKFLOWS_DIR_VAR = "WORKFLOWS_DIR"
FILES = ("workflow.json", "spec.json", "models.json")
TYPES = ("image_url", "string", "integer", "number", "boolean")
MODEL_FOLDERS = ("checkpoints", "diffusion_models", "unet", "loras", "text_encoders", "clip", "vae",
                 "clip_vision", "controlnet", "upscale_models", "embeddings")
SEED_FIELD = "seed"
SEED_MAX = 2**53 - 1  # the largest integer every JSON client keeps exactly

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_FIELD = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SPEC_KEYS = {"name", "api_path", "description", "inputs", "outputs"}
_INPUT_KEYS = {"type", "required", "default", "minimum", "maximum", "min_length", "max_length", "choices",
               "node", "input", "remove_when_absent", "description"}
_MODEL_KEYS = {"file", "folder", "url", "sha256", "bytes"}


class WorkflowSpecError(ValueError):
    """A workflow folder is malformed; the message names the file and the field."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")
        self.path = str(path)
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class InputSpec:
    """One request field: its type and limits, and the graph inputs it sets."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[Any, ...] | None = None
    node_ids: tuple[str, ...] = ()
    input: str = ""
    remove_when_absent: bool = False
    description: str = ""

    @property
    def has_default(self) -> bool:
        return self.default is not None

    @property
    def is_seed(self) -> bool:
        return self.name == SEED_FIELD and self.type == "integer"

    def draw(self, rng: Callable[[int, int], int]) -> int:
        """A seed within the field's limits, drawn with `rng(low, high)`."""
        return rng(int(self.minimum or 0), int(self.maximum if self.maximum is not None else SEED_MAX))


@dataclass(frozen=True)
class ModelFile:
    file: str
    folder: str
    url: str
    sha256: str | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class Injected:
    """A graph ready for POST /prompt, and the seed used (drawn when the request gave none)."""

    prompt: dict[str, Any]
    seed: int | None
    removed_nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    api_path: str
    description: str
    inputs: dict[str, InputSpec]
    output_node_ids: tuple[str, ...]
    graph: dict[str, Any]
    models: tuple[ModelFile, ...]
    content_hash: str
    folder: Path
    request_model: type[BaseModel] = field(repr=False, compare=False, default=BaseModel)

    @property
    def image_fields(self) -> tuple[str, ...]:
        return tuple(n for n, s in self.inputs.items() if s.type == "image_url")

    @property
    def seed_input(self) -> InputSpec | None:
        """The `seed` field, drawn at random when a request leaves it out."""
        return next((s for s in self.inputs.values() if s.is_seed), None)

    @property
    def class_types(self) -> frozenset[str]:
        return frozenset(node["class_type"] for node in self.graph.values())

    def validate(self, body: Any) -> BaseModel:
        """Validate a request body (raises pydantic.ValidationError)."""
        return self.request_model.model_validate(body)

    def inject(self, request: BaseModel | Mapping[str, Any], images: Mapping[str, str] | None = None,
               rng: Callable[[int, int], int] | None = None) -> Injected:
        """Write the request's values into a copy of the graph.

        `images` maps each image_url field the request gave to the file name ComfyUI knows it by
        (after POST /upload/image); that name, not the URL, goes into the graph. A field the
        request left out keeps the graph's value, is removed with its node (remove_when_absent), or,
        for `seed`, is drawn with `rng(low, high)`.
        """
        values = request.model_dump() if isinstance(request, BaseModel) else dict(request)
        images = images or {}
        draw = rng or random.SystemRandom().randint
        prompt = copy.deepcopy(self.graph)
        removed: list[str] = []
        seed: int | None = None
        for name, spec in self.inputs.items():
            value = values.get(name)
            if value is None and spec.has_default:
                value = spec.default
            if value is None:
                if spec.remove_when_absent:
                    removed.extend(spec.node_ids)
                    continue
                if not spec.is_seed:
                    continue
                value = spec.draw(draw)
            if spec.type == "image_url":
                if name not in images:
                    raise KeyError(f"image field {name!r} has no uploaded file name")
                value = images[name]
            if spec.is_seed:
                seed = int(value)
            for node_id in spec.node_ids:
                prompt[node_id]["inputs"][spec.input] = value
        for node_id in removed:
            remove_node(prompt, node_id)
        return Injected(prompt, seed, tuple(removed))


def remove_node(prompt: dict[str, Any], node_id: str) -> None:
    """Remove a node and every input elsewhere that links to it."""
    prompt.pop(node_id, None)
    for node in prompt.values():
        inputs = node.get("inputs", {})
        for key in [k for k, v in inputs.items() if is_link(v) and str(v[0]) == node_id]:
            del inputs[key]


def is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int) and isinstance(value[1], int)


def default_workflows_dir() -> Path:
    """The `workflows` folder installed with the package (a package that holds only data)."""
    return Path(str(resources.files("workflows")))


def workflows_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    raw = env.get(WORKFLOWS_DIR_VAR, "").strip()
    return Path(raw) if raw else default_workflows_dir()


def load_workflows(directory: Path | str | None = None) -> dict[str, WorkflowSpec]:
    """Every workflow folder under `directory` (default WORKFLOWS_DIR), by name."""
    root = Path(directory) if directory is not None else workflows_dir()
    if not root.is_dir():
        raise WorkflowSpecError(root, WORKFLOWS_DIR_VAR, "is not a directory")
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "spec.json").exists()):
        spec = load_workflow(folder)
        found[spec.name] = spec
    if not found:
        raise WorkflowSpecError(root, "", "holds no workflow folder (a folder with spec.json)")
    return found


def load_workflow(folder: Path | str) -> WorkflowSpec:
    folder = Path(folder)
    raw = {name: _read_json(folder / name) for name in FILES}
    graph = _check_graph(folder / "workflow.json", raw["workflow.json"])
    spec_path = folder / "spec.json"
    spec = raw["spec.json"]
    if not isinstance(spec, dict):
        raise WorkflowSpecError(spec_path, "", "must be a JSON object")
    _refuse_unknown(spec_path, "", spec, _SPEC_KEYS)
    for key in ("name", "api_path", "inputs", "outputs"):
        if key not in spec:
            raise WorkflowSpecError(spec_path, key, "is required")
    name = spec["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise WorkflowSpecError(spec_path, "name", "must be 1-63 characters of a-z, 0-9 and '-'")
    if name != folder.name:
        raise WorkflowSpecError(spec_path, "name", f"is {name!r} but the folder is {folder.name!r}")
    if spec["api_path"] != f"/api/v1/{name}/jobs":
        raise WorkflowSpecError(spec_path, "api_path", f"must be '/api/v1/{name}/jobs'")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise WorkflowSpecError(spec_path, "description", "must be a string")
    titles = _titles(graph)
    if not isinstance(spec["inputs"], dict):
        raise WorkflowSpecError(spec_path, "inputs", "must be an object of field name -> field")
    inputs = {field_name: _check_input(spec_path, graph, titles, field_name, entry)
              for field_name, entry in spec["inputs"].items()}
    outputs = spec["outputs"]
    if not isinstance(outputs, list) or not outputs:
        raise WorkflowSpecError(spec_path, "outputs", "must be a non-empty list of nodes (id or title)")
    output_ids = tuple(_resolve(spec_path, "outputs", graph, titles, ref) for ref in outputs)
    models = _check_models(folder / "models.json", raw["models.json"])
    workflow = WorkflowSpec(name, spec["api_path"], description, inputs, output_ids, graph, models,
                            content_hash(folder), folder)
    object.__setattr__(workflow, "request_model", build_request_model(workflow))
    return workflow


def content_hash(folder: Path) -> str:
    """sha256 over the three files' names and bytes: any edit to a folder changes it."""
    digest = hashlib.sha256()
    for name in FILES:
        data = (folder / name).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkflowSpecError(path, "", "is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkflowSpecError(path, "", f"is not valid JSON ({exc})") from None


def _refuse_unknown(path: Path, where: str, obj: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        at = f"{where}." if where else ""
        raise WorkflowSpecError(path, f"{at}{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _check_graph(path: Path, graph: Any) -> dict[str, Any]:
    if isinstance(graph, dict) and "nodes" in graph and "links" in graph:
        raise WorkflowSpecError(path, "", "is in ComfyUI's UI format; save it with \"Export (API)\" instead")
    if not isinstance(graph, dict) or not graph:
        raise WorkflowSpecError(path, "", "must be a JSON object of node id -> node (ComfyUI API format)")
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise WorkflowSpecError(path, f"{node_id}.class_type", "is missing or not a string")
        if not isinstance(node.get("inputs"), dict):
            raise WorkflowSpecError(path, f"{node_id}.inputs", "is missing or not an object")
        for input_name, value in node["inputs"].items():
            if is_link(value) and str(value[0]) not in graph:
                raise WorkflowSpecError(path, f"{node_id}.inputs.{input_name}",
                                        f"links to node {value[0]!r}, which is not in the graph")
    return graph


def _titles(graph: dict[str, Any]) -> dict[str, list[str]]:
    titles: dict[str, list[str]] = {}
    for node_id, node in graph.items():
        title = node.get("_meta", {}).get("title") if isinstance(node.get("_meta"), dict) else None
        if isinstance(title, str):
            titles.setdefault(title, []).append(node_id)
    return titles


def _resolve(path: Path, where: str, graph: dict[str, Any], titles: dict[str, list[str]], ref: Any) -> str:
    """A node id, or failing that a unique `_meta.title`."""
    if not isinstance(ref, str) or not ref:
        raise WorkflowSpecError(path, where, f"{ref!r} is not a node id or title")
    if ref in graph:
        return ref
    ids = titles.get(ref, [])
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise WorkflowSpecError(path, where, f"title {ref!r} is used by nodes {', '.join(ids)}; use an id")
    raise WorkflowSpecError(path, where, f"no node has the id or title {ref!r}")


def _number(path: Path, where: str, value: Any, kind: str) -> Any:
    ok = isinstance(value, int) if kind == "integer" else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        raise WorkflowSpecError(path, where, f"must be {'an integer' if kind == 'integer' else 'a number'}")
    return value


def _check_input(path: Path, graph: dict[str, Any], titles: dict[str, list[str]], name: str,
                 entry: Any) -> InputSpec:
    where = f"inputs.{name}"
    if not _FIELD.fullmatch(name):
        raise WorkflowSpecError(path, where, "a field name is 1-63 characters of a-z, 0-9 and '_'")
    if not isinstance(entry, dict):
        raise WorkflowSpecError(path, where, "must be an object")
    _refuse_unknown(path, where, entry, _INPUT_KEYS)
    kind = entry.get("type")
    if kind not in TYPES:
        raise WorkflowSpecError(path, f"{where}.type", f"must be one of {', '.join(TYPES)}")
    for flag in ("required", "remove_when_absent"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise WorkflowSpecError(path, f"{where}.{flag}", "must be true or false")
    required = entry.get("required", False)
    remove = entry.get("remove_when_absent", False)
    has_default = entry.get("default") is not None
    if required and has_default:
        raise WorkflowSpecError(path, f"{where}.default", "a required field has no default")
    if remove and (required or has_default):
        raise WorkflowSpecError(path, f"{where}.remove_when_absent", "only an optional field without default")
    for key in ("minimum", "maximum"):
        if key in entry:
            if kind not in ("integer", "number"):
                raise WorkflowSpecError(path, f"{where}.{key}", f"applies to integer and number, not {kind}")
            _number(path, f"{where}.{key}", entry[key], kind)
    for key in ("min_length", "max_length"):
        if key in entry:
            if kind != "string":
                raise WorkflowSpecError(path, f"{where}.{key}", f"applies to string, not {kind}")
            if isinstance(entry[key], bool) or not isinstance(entry[key], int) or entry[key] < 0:
                raise WorkflowSpecError(path, f"{where}.{key}", "must be a non-negative integer")
    if "minimum" in entry and "maximum" in entry and entry["minimum"] > entry["maximum"]:
        raise WorkflowSpecError(path, f"{where}.minimum", "is above maximum")
    choices = entry.get("choices")
    if choices is not None:
        if kind not in ("string", "integer", "number"):
            raise WorkflowSpecError(path, f"{where}.choices", f"applies to string, integer and number, not {kind}")
        if not isinstance(choices, list) or not choices:
            raise WorkflowSpecError(path, f"{where}.choices", "must be a non-empty list")
        checker = str if kind == "string" else None
        for i, choice in enumerate(choices):
            if checker is str and not isinstance(choice, str):
                raise WorkflowSpecError(path, f"{where}.choices[{i}]", "must be a string")
            if checker is None:
                _number(path, f"{where}.choices[{i}]", choice, kind)
    if "node" not in entry or "input" not in entry:
        raise WorkflowSpecError(path, f"{where}.{'node' if 'node' not in entry else 'input'}", "is required")
    refs = entry["node"] if isinstance(entry["node"], list) else [entry["node"]]
    if not refs:
        raise WorkflowSpecError(path, f"{where}.node", "must name at least one node")
    node_ids = tuple(_resolve(path, f"{where}.node", graph, titles, ref) for ref in refs)
    input_name = entry["input"]
    if not isinstance(input_name, str) or not input_name:
        raise WorkflowSpecError(path, f"{where}.input", "must be the name of a node input")
    for node_id in node_ids:
        node_inputs = graph[node_id]["inputs"]
        if input_name not in node_inputs:
            raise WorkflowSpecError(path, f"{where}.input", f"node {node_id} ({graph[node_id]['class_type']}) "
                                    f"has no input {input_name!r}")
        if is_link(node_inputs[input_name]):
            raise WorkflowSpecError(path, f"{where}.input", f"input {input_name!r} of node {node_id} is a link; "
                                    "a field can only set a value")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise WorkflowSpecError(path, f"{where}.description", "must be a string")
    spec = InputSpec(name, kind, required, entry.get("default"), entry.get("minimum"), entry.get("maximum"),
                     entry.get("min_length"), entry.get("max_length"),
                     tuple(choices) if choices is not None else None, node_ids, input_name, remove, description)
    if has_default:
        try:
            create_model("Default", value=(_annotation(spec), ...)).model_validate({"value": spec.default})
        except ValueError as exc:
            first = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
            raise WorkflowSpecError(path, f"{where}.default", f"does not satisfy the field: {first}") from None
    return spec


def _check_models(path: Path, models: Any) -> tuple[ModelFile, ...]:
    if not isinstance(models, list):
        raise WorkflowSpecError(path, "", "must be a JSON list of model files (may be empty)")
    out = []
    for i, entry in enumerate(models):
        where = f"[{i}]"
        if not isinstance(entry, dict):
            raise WorkflowSpecError(path, where, "must be an object")
        _refuse_unknown(path, where, entry, _MODEL_KEYS)
        name = entry.get("file")
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
            raise WorkflowSpecError(path, f"{where}.file", "must be a relative file name without '..'")
        if entry.get("folder") not in MODEL_FOLDERS:
            raise WorkflowSpecError(path, f"{where}.folder", f"must be one of {', '.join(MODEL_FOLDERS)}")
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise WorkflowSpecError(path, f"{where}.url", "must be an https:// URL")
        sha = entry.get("sha256") or None
        if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha)):
            raise WorkflowSpecError(path, f"{where}.sha256", "must be 64 lower-case hex digits, or empty")
        size = entry.get("bytes")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
            raise WorkflowSpecError(path, f"{where}.bytes", "must be a positive integer, or null")
        out.append(ModelFile(name, entry["folder"], url, sha, size))
    return tuple(out)


def _image_url(value: str) -> str:
    try:
        return check_syntax(value)
    except UnsafeUrl as exc:
        raise ValueError(str(exc)) from None


def _annotation(spec: InputSpec) -> Any:
    if spec.type == "image_url":
        return Annotated[str, Field(min_length=6, max_length=2048, description="s3://bucket/key or https:// URL"),
                         AfterValidator(_image_url)]
    if spec.choices is not None:
        return Literal[spec.choices]  # type: ignore[valid-type]
    if spec.type == "string":
        return Annotated[str, Field(min_length=spec.min_length, max_length=spec.max_length)]
    if spec.type == "boolean":
        return bool
    base = int if spec.type == "integer" else float
    return Annotated[base, Field(ge=spec.minimum, le=spec.maximum)]


def build_request_model(workflow: WorkflowSpec) -> type[BaseModel]:
    """The request body's pydantic model: one field per input and the webhook options, extra fields refused."""
    fields: dict[str, Any] = {}
    for name, spec in workflow.inputs.items():
        annotation = _annotation(spec)
        info = {"description": spec.description} if spec.description else {}
        if spec.required:
            fields[name] = (annotation, Field(..., **info))
        elif spec.has_default:
            fields[name] = (annotation, Field(default=spec.default, **info))
        else:
            fields[name] = (annotation | None, Field(default=None, **info))
    model_name = "".join(part.capitalize() for part in workflow.name.split("-")) + "Request"
    return create_model(model_name, __base__=WebhookOptions, __doc__=workflow.description or None, **fields)
