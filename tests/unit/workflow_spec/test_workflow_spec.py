"""The workflow folder loader: every refusal names the file and the field; injection; request models."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gpujobs import workflow_spec
from gpujobs.workflow_spec import WorkflowSpecError, load_workflow, load_workflows

GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}, "_meta": {"title": "Load image"}},
    "2": {"class_type": "LoadImage", "inputs": {"image": "x.png"}, "_meta": {"title": "Reference"}},
    "3": {"class_type": "ImageBlend", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "blend_factor": 0.5,
                                                 "blend_mode": "normal"}, "_meta": {"title": "Blend"}},
    "4": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 20, "cfg": 8.0}, "_meta": {"title": "Sampler"}},
    "5": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 20, "cfg": 8.0}, "_meta": {"title": "Sampler 2"}},
    "6": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"},
          "_meta": {"title": "Save"}},
    "7": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}, "_meta": {"title": "Dup"}},
    "8": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "t"}, "_meta": {"title": "Dup"}},
}
SPEC = {
    "name": "demo", "api_path": "/api/v1/demo/jobs", "description": "a test workflow",
    "inputs": {
        "image_url": {"type": "image_url", "required": True, "node": "Load image", "input": "image"},
        "ref_url": {"type": "image_url", "remove_when_absent": True, "node": "2", "input": "image"},
        "prompt": {"type": "string", "required": True, "min_length": 1, "max_length": 10, "node": "Blend",
                   "input": "blend_mode"},
        "factor": {"type": "number", "default": 0.25, "minimum": 0.0, "maximum": 1.0, "node": "3",
                   "input": "blend_factor"},
        "steps": {"type": "integer", "default": 8, "minimum": 1, "maximum": 100, "node": ["Sampler", "5"],
                  "input": "steps"},
        "cfg": {"type": "number", "node": "Sampler", "input": "cfg"},
        "mode": {"type": "string", "choices": ["a", "b"], "node": "Sampler 2", "input": "cfg"},
        "flag": {"type": "boolean", "node": "Sampler 2", "input": "steps"},
        "seed": {"type": "integer", "minimum": 0, "maximum": 1000, "node": ["4", "5"], "input": "seed"},
    },
    "outputs": ["Save"],
}
MODELS = [{"file": "m.safetensors", "folder": "loras", "url": "https://example.com/m.safetensors",
           "sha256": "", "bytes": None}]


def write(root: Path, graph: Any = None, spec: Any = None, models: Any = None, name: str = "demo") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    contents = (("workflow.json", GRAPH if graph is None else graph), ("spec.json", SPEC if spec is None else spec),
                ("models.json", MODELS if models is None else models))
    for file, value in contents:
        (folder / file).write_text(value if isinstance(value, str) else json.dumps(value))
    return folder


def spec_with(**changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    for dotted, value in changes.items():
        target = spec
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return spec


DELETE = object()


def refused(tmp_path: Path, **files: Any) -> WorkflowSpecError:
    with pytest.raises(WorkflowSpecError) as info:
        load_workflow(write(tmp_path, **files))
    return info.value


def test_a_good_folder_loads(tmp_path: Path) -> None:
    loaded = load_workflow(write(tmp_path))
    assert loaded.name == "demo"
    assert loaded.output_node_ids == ("6",)
    assert loaded.inputs["steps"].node_ids == ("4", "5")
    assert loaded.inputs["image_url"].node_ids == ("1",)
    assert loaded.image_fields == ("image_url", "ref_url")
    assert loaded.models[0].sha256 is None
    assert loaded.request_model.__name__ == "DemoRequest"
    assert len(loaded.content_hash) == 64


@pytest.mark.parametrize(("file", "content", "where", "problem"), [
    ("workflow.json", "{not json", "", "is not valid JSON"),
    ("workflow.json", {"nodes": [], "links": []}, "", "UI format"),
    ("workflow.json", [], "", "API format"),
    ("workflow.json", {"1": {"inputs": {}}}, "1.class_type", "missing"),
    ("workflow.json", {"1": {"class_type": "X"}}, "1.inputs", "missing"),
    ("workflow.json", {"1": {"class_type": "X", "inputs": {"a": ["9", 0]}}}, "1.inputs.a", "not in the graph"),
    ("spec.json", [], "", "JSON object"),
    ("models.json", {}, "", "JSON list"),
    ("models.json", [{"file": "../x", "folder": "loras", "url": "https://e/x"}], "[0].file", "without '..'"),
    ("models.json", [{"file": "x", "folder": "weights", "url": "https://e/x"}], "[0].folder", "must be one of"),
    ("models.json", [{"file": "x", "folder": "loras", "url": "http://e/x"}], "[0].url", "https://"),
    ("models.json", [{"file": "x", "folder": "loras", "url": "https://e/x", "sha256": "abc"}], "[0].sha256", "64"),
    ("models.json", [{"file": "x", "folder": "loras", "url": "https://e/x", "bytes": 0}], "[0].bytes", "positive"),
    ("models.json", [{"file": "x", "folder": "loras", "url": "https://e/x", "size": 1}], "[0].size", "unknown key"),
])
def test_bad_files_are_named(tmp_path: Path, file: str, content: Any, where: str, problem: str) -> None:
    key = {"workflow.json": "graph", "spec.json": "spec", "models.json": "models"}[file]
    error = refused(tmp_path, **{key: content})
    assert error.path.endswith(f"demo/{file}")
    assert error.where == where
    assert problem in error.problem


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = write(tmp_path)
    (folder / "models.json").unlink()
    with pytest.raises(WorkflowSpecError, match=r"demo/models.json: is missing"):
        load_workflow(folder)


@pytest.mark.parametrize(("changes", "where", "problem"), [
    ({"colour": "red"}, "colour", "unknown key"),
    ({"outputs": DELETE}, "outputs", "is required"),
    ({"name": "Demo"}, "name", "a-z"),
    ({"name": "other"}, "name", "but the folder is 'demo'"),
    ({"api_path": "/api/v1/other/jobs"}, "api_path", "/api/v1/demo/jobs"),
    ({"description": 3}, "description", "string"),
    ({"inputs": []}, "inputs", "object"),
    ({"outputs": []}, "outputs", "non-empty"),
    ({"outputs": ["Nowhere"]}, "outputs", "no node has the id or title 'Nowhere'"),
    ({"outputs": ["Dup"]}, "outputs", "title 'Dup' is used by nodes 7, 8"),
    ({"inputs__Bad-Name": {"type": "string", "node": "1", "input": "image"}}, "inputs.Bad-Name", "field name"),
    ({"inputs__cfg__typo": 1}, "inputs.cfg.typo", "unknown key"),
    ({"inputs__cfg__type": "float"}, "inputs.cfg.type", "must be one of"),
    ({"inputs__cfg__required": "yes"}, "inputs.cfg.required", "true or false"),
    ({"inputs__steps__required": True}, "inputs.steps.default", "required field has no default"),
    ({"inputs__factor__remove_when_absent": True}, "inputs.factor.remove_when_absent", "optional field"),
    ({"inputs__prompt__minimum": 1}, "inputs.prompt.minimum", "integer and number"),
    ({"inputs__steps__maximum": 1.5}, "inputs.steps.maximum", "integer"),
    ({"inputs__steps__minimum": 200}, "inputs.steps.minimum", "above maximum"),
    ({"inputs__cfg__max_length": 3}, "inputs.cfg.max_length", "applies to string"),
    ({"inputs__prompt__max_length": -1}, "inputs.prompt.max_length", "non-negative"),
    ({"inputs__flag__choices": [True]}, "inputs.flag.choices", "applies to string"),
    ({"inputs__mode__choices": []}, "inputs.mode.choices", "non-empty"),
    ({"inputs__mode__choices": ["a", 1]}, "inputs.mode.choices[1]", "string"),
    ({"inputs__cfg__node": DELETE}, "inputs.cfg.node", "is required"),
    ({"inputs__cfg__input": DELETE}, "inputs.cfg.input", "is required"),
    ({"inputs__cfg__node": []}, "inputs.cfg.node", "at least one"),
    ({"inputs__cfg__node": "Nowhere"}, "inputs.cfg.node", "no node has the id or title"),
    ({"inputs__cfg__node": "Dup"}, "inputs.cfg.node", "used by nodes 7, 8"),
    ({"inputs__cfg__input": "strength"}, "inputs.cfg.input", "has no input 'strength'"),
    ({"inputs__factor__input": "image1"}, "inputs.factor.input", "is a link"),
    ({"inputs__steps__default": 0}, "inputs.steps.default", "does not satisfy the field"),
    ({"inputs__mode__default": "c"}, "inputs.mode.default", "does not satisfy the field"),
    ({"inputs__cfg__description": 1}, "inputs.cfg.description", "string"),
])
def test_bad_specs_are_named(tmp_path: Path, changes: dict[str, Any], where: str, problem: str) -> None:
    error = refused(tmp_path, spec=spec_with(**changes))
    assert error.path.endswith("demo/spec.json")
    assert error.where == where
    assert problem in error.problem
    assert where in str(error)


def test_the_content_hash_follows_every_file(tmp_path: Path) -> None:
    first = load_workflow(write(tmp_path)).content_hash
    assert load_workflow(write(tmp_path)).content_hash == first
    write(tmp_path, models=[])
    assert load_workflow(tmp_path / "demo").content_hash != first


def test_load_workflows_reads_every_folder_and_refuses_an_empty_one(tmp_path: Path) -> None:
    write(tmp_path)
    spec = spec_with(name="other", api_path="/api/v1/other/jobs")
    write(tmp_path, spec=spec, name="other")
    (tmp_path / "notes").mkdir()  # a folder without spec.json is not a workflow
    assert sorted(load_workflows(tmp_path)) == ["demo", "other"]
    with pytest.raises(WorkflowSpecError, match="holds no workflow"):
        load_workflows(tmp_path / "notes")
    with pytest.raises(WorkflowSpecError, match="is not a directory"):
        load_workflows(tmp_path / "absent")


def test_workflows_dir_comes_from_the_environment(tmp_path: Path) -> None:
    assert workflow_spec.workflows_dir({"WORKFLOWS_DIR": str(tmp_path)}) == tmp_path
    assert (workflow_spec.workflows_dir({}) / "camera-angle" / "spec.json").exists()


# request models

def demo(tmp_path: Path) -> workflow_spec.WorkflowSpec:
    return load_workflow(write(tmp_path))


def test_the_request_model_coerces_and_defaults(tmp_path: Path) -> None:
    model = demo(tmp_path).validate({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "steps": "12",
                                     "factor": 1, "flag": True})
    assert model.steps == 12 and isinstance(model.factor, float)
    assert model.cfg is None and model.seed is None and model.ref_url is None


@pytest.mark.parametrize(("body", "field"), [
    ({"prompt": "hi"}, "image_url"),
    ({"image_url": "http://e.com/a.png", "prompt": "hi"}, "image_url"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": ""}, "prompt"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "x" * 11}, "prompt"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "steps": 0}, "steps"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "steps": 101}, "steps"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "steps": "many"}, "steps"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "factor": 1.5}, "factor"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "mode": "c"}, "mode"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "seed": 1001}, "seed"),
    ({"image_url": "s3://bucket-a/in.png", "prompt": "hi", "extra": 1}, "extra"),
])
def test_the_request_model_refuses(tmp_path: Path, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        demo(tmp_path).validate(body)
    assert field in {str(e["loc"][0]) for e in info.value.errors()}


# injection

def test_values_go_in_by_title_and_by_id_and_into_every_listed_node(tmp_path: Path) -> None:
    spec = demo(tmp_path)
    request = spec.validate({"image_url": "s3://bucket-a/in.png", "ref_url": "https://e.com/r.png", "prompt": "hi",
                             "steps": 12, "cfg": 2.5, "mode": "b", "flag": False, "seed": 5})
    injected = spec.inject(request, {"image_url": "up-1.png", "ref_url": "up-2.png"})
    prompt = injected.prompt
    assert prompt["1"]["inputs"]["image"] == "up-1.png"  # by title
    assert prompt["2"]["inputs"]["image"] == "up-2.png"  # by id
    assert prompt["4"]["inputs"]["steps"] == 12 and prompt["5"]["inputs"]["cfg"] == "b"
    assert prompt["5"]["inputs"]["steps"] is False
    assert prompt["4"]["inputs"]["seed"] == prompt["5"]["inputs"]["seed"] == 5
    assert prompt["3"]["inputs"]["blend_factor"] == 0.25  # the spec's default
    assert injected.seed == 5 and injected.removed_nodes == ()
    assert spec.graph["1"]["inputs"]["image"] == "x.png"  # the loaded graph is never changed


def test_absent_fields_keep_the_graph_value_or_are_removed_and_a_seed_is_drawn(tmp_path: Path) -> None:
    spec = demo(tmp_path)
    request = spec.validate({"image_url": "s3://bucket-a/in.png", "prompt": "hi"})
    injected = spec.inject(request, {"image_url": "up-1.png"}, rng=lambda low, high: high)
    prompt = injected.prompt
    assert prompt["4"]["inputs"]["cfg"] == 8.0  # no default: the graph's own value
    assert "2" not in prompt and "image2" not in prompt["3"]["inputs"]  # node and the inputs linking to it
    assert "8" in prompt and "images" not in prompt["8"]["inputs"]
    assert injected.seed == 1000 and prompt["4"]["inputs"]["seed"] == 1000  # drawn within the field's limits
    assert injected.removed_nodes == ("2",)


def test_a_random_seed_differs_between_jobs(tmp_path: Path) -> None:
    spec = load_workflows()["invert-blend"]
    assert "seed" not in spec.inputs
    camera = load_workflows()["camera-angle"]
    request = camera.validate({"image_url": "s3://bucket-a/in.png", "prompt": "turn left"})
    seeds = {camera.inject(request, {"image_url": "a.png"}).seed for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= s <= workflow_spec.SEED_MAX for s in seeds)


def test_an_image_field_without_an_uploaded_name_is_a_programming_error(tmp_path: Path) -> None:
    spec = demo(tmp_path)
    with pytest.raises(KeyError, match="image_url"):
        spec.inject(spec.validate({"image_url": "s3://bucket-a/in.png", "prompt": "hi"}), {})


# the shipped folders

# The public request fields and their limits, as clients have always been able to send them.
IMAGE_URL = {"type": "string", "minLength": 6, "maxLength": 2048}
PROMPT = {"type": "string", "minLength": 1, "maxLength": 4000}
SEED = {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
# Every workflow's submit also takes the webhook options (gpujobs.webhook_events.WebhookOptions).
WEBHOOK = {"webhook": {"type": "string", "maxLength": 2048}, "webhook_events_filter": {"type": "array"}}
PUBLIC_FIELDS: dict[str, dict[str, Any]] = {
    "camera-angle": {
        "image_url": {**IMAGE_URL, "required": True}, "prompt": {**PROMPT, "required": True}, "seed": SEED,
        "steps": {"type": "integer", "default": 8, "minimum": 1, "maximum": 100}, **WEBHOOK,
    },
    "qwen-image-edit": {
        "image_url": {**IMAGE_URL, "required": True}, "prompt": {**PROMPT, "required": True},
        "image2_url": IMAGE_URL, "image3_url": IMAGE_URL,
        "steps": {"type": "integer", "default": 4, "minimum": 1, "maximum": 100},
        "cfg": {"type": "number", "default": 1.0, "minimum": 0.0, "maximum": 30.0},
        "sampler_name": {"type": "string", "default": "sa_solver", "enum": [
            "sa_solver", "lcm", "euler", "euler_ancestral", "er_sde", "heun", "dpm_2", "dpm_2_ancestral", "dpmpp_2m",
            "dpmpp_2m_sde", "dpmpp_sde", "dpmpp_3m_sde", "ddim", "uni_pc", "res_multistep"]},
        "scheduler": {"type": "string", "default": "beta", "enum": [
            "simple", "normal", "beta", "karras", "exponential", "sgm_uniform", "ddim_uniform", "linear_quadratic",
            "kl_optimal"]},
        "denoise": {"type": "number", "default": 1.0, "minimum": 0.0, "maximum": 1.0},
        "seed": SEED, **WEBHOOK,
    },
}
LIMITS = ("type", "minimum", "maximum", "minLength", "maxLength", "default", "enum")


@pytest.mark.parametrize("name", sorted(PUBLIC_FIELDS))
def test_the_shipped_workflows_keep_the_request_fields_and_limits(name: str) -> None:
    schema = load_workflows()[name].request_model.model_json_schema()
    expected = PUBLIC_FIELDS[name]
    assert set(schema["properties"]) == set(expected)
    assert set(schema.get("required", [])) == {f for f, limits in expected.items() if limits.get("required")}
    for field, limits in expected.items():
        for limit in LIMITS:
            assert _limit(schema["properties"][field], limit) == limits.get(limit), (name, field, limit)
    assert schema.get("additionalProperties") is False


def _limit(schema: dict[str, Any], key: str) -> Any:
    if key in schema:
        return schema[key]
    for option in schema.get("anyOf", []):
        if key in option and option.get("type") != "null":
            return option[key]
    return None
