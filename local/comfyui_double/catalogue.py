"""The node catalogue and ComfyUI's prompt validation, answering in ComfyUI's own shapes.

`node_catalogue.json` holds the GET /object_info entries of the nodes the shipped workflows use,
transcribed from ComfyUI's source (version and commit in the file). `validate_prompt` follows
ComfyUI's execution.validate_prompt: a graph whose every output fails is refused (400) with
`error` and `node_errors`; a graph with at least one valid output is queued and the invalid
outputs' errors come back beside it.
"""

import copy
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("node_catalogue.json")


def load_catalogue(model_files: dict[str, Iterable[str]], path: Path = CATALOGUE_FILE) -> dict[str, Any]:
    """The catalogue with each loader's file list filled from `model_files` (models subfolder -> names)."""
    raw = json.loads(path.read_text())
    nodes = copy.deepcopy(raw["nodes"])
    for class_type, inputs in raw["model_inputs"].items():
        for input_name, folder in inputs.items():
            nodes[class_type]["input"]["required"][input_name][0] = sorted(model_files.get(folder, ()))
    return {"version": raw["comfyui_version"], "commit": raw["comfyui_commit"], "nodes": nodes}


def input_info(node_info: dict[str, Any], name: str) -> tuple[Any, str, dict[str, Any]] | None:
    for category in ("required", "optional"):
        entry = node_info["input"].get(category, {}).get(name)
        if entry is not None:
            extra = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
            return entry[0], category, extra
    return None


def combo_options(input_type: Any, extra: dict[str, Any]) -> list[Any] | None:
    if isinstance(input_type, list):
        return input_type
    if input_type == "COMBO":
        return list(extra.get("options", []))
    return None


def _error(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


class Validator:
    """One validation of one prompt; `image_exists` stands in for LoadImage.VALIDATE_INPUTS."""

    def __init__(self, nodes: dict[str, Any], prompt: dict[str, Any], image_exists: Any) -> None:
        self.nodes = nodes
        self.prompt = prompt
        self.image_exists = image_exists
        self.validated: dict[str, tuple[bool, list[dict[str, Any]]]] = {}

    def inputs(self, unique_id: str) -> tuple[bool, list[dict[str, Any]]]:
        if unique_id in self.validated:
            return self.validated[unique_id]
        node = self.prompt[unique_id]
        inputs = node.get("inputs", {})
        info = self.nodes[node["class_type"]]
        names = list(info["input"].get("required", {})) + list(info["input"].get("optional", {}))
        errors: list[dict[str, Any]] = []
        valid = True
        custom = {"image"} if node["class_type"] == "LoadImage" else set()
        for name in names:
            input_type, category, extra = input_info(info, name)  # type: ignore[misc]
            config = [input_type, extra] if extra else [input_type]
            if name not in inputs:
                if category == "required":
                    errors.append(_error("required_input_missing", "Required input is missing", name, input_name=name))
                continue
            value = inputs[name]
            if isinstance(value, list):
                if len(value) != 2:
                    errors.append(_error("bad_linked_input",
                                         "Bad linked input, must be a length-2 list of [node_id, slot_index]", name,
                                         input_name=name, input_config=config, received_value=value))
                    continue
                source = self.prompt[value[0]]  # a missing node raises, as in ComfyUI
                outputs = self.nodes[source["class_type"]]["output"]
                received = outputs[value[1]]
                if not _types_match(received, input_type):
                    errors.append(_error("return_type_mismatch", "Return type mismatch between linked nodes",
                                         f"{name}, received_type({received}) mismatch input_type({input_type})",
                                         input_name=name, input_config=config, received_type=received,
                                         linked_node=value))
                    continue
                if not self.inputs(str(value[0]))[0]:
                    valid = False
                continue
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            converters = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}
            try:
                if isinstance(input_type, str) and input_type in converters:
                    value = inputs[name] = converters[input_type](value)
            except (TypeError, ValueError) as exc:
                errors.append(_error("invalid_input_type", f"Failed to convert an input value to a {input_type} value",
                                     f"{name}, {value}, {exc}", input_name=name, input_config=config,
                                     received_value=value, exception_message=str(exc)))
                continue
            if name in custom:
                if not self.image_exists(value):
                    errors.append(_error("custom_validation_failed", "Custom validation failed for node",
                                         f"{name} - Invalid image file: {value}", input_name=name))
                continue
            if "min" in extra and value < extra["min"]:
                errors.append(_error("value_smaller_than_min", f"Value {value} smaller than min of {extra['min']}",
                                     name, input_name=name, input_config=config, received_value=value))
                continue
            if "max" in extra and value > extra["max"]:
                errors.append(_error("value_bigger_than_max", f"Value {value} bigger than max of {extra['max']}",
                                     name, input_name=name, input_config=config, received_value=value))
                continue
            options = combo_options(input_type, extra)
            if options is not None and value not in options:
                listed = f"(list of length {len(options)})" if len(options) > 20 else str(options)
                errors.append(_error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {listed}",
                                     input_name=name, input_config=None if len(options) > 20 else config,
                                     received_value=value))
                continue
        result = (not errors and valid, errors)
        self.validated[unique_id] = result
        return result


def _types_match(received: Any, wanted: Any) -> bool:
    if received == wanted or received == "*" or wanted == "*":
        return True
    if not isinstance(received, str) or not isinstance(wanted, str):
        return False
    return bool({t.strip() for t in received.split(",")} & {t.strip() for t in wanted.split(",")})


def validate_prompt(nodes: dict[str, Any], prompt: Any, image_exists: Any,
                    partial: list[str] | None = None) -> tuple[bool, dict[str, Any] | None, list[str], dict[str, Any]]:
    """(valid, error, outputs to execute, node_errors), as ComfyUI's execution.validate_prompt returns them."""
    outputs = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return False, _error("invalid_prompt", "Cannot execute because a node is missing the class_type property.",
                                 f"Node ID '#{node_id}'"), [], {}
        class_type = node["class_type"]
        if class_type not in nodes:
            return False, _error("invalid_prompt", f"Cannot execute because node {class_type} does not exist.",
                                 f"Node ID '#{node_id}'"), [], {}
        if nodes[class_type].get("output_node") and (partial is None or node_id in partial):
            outputs.append(node_id)
    if not outputs:
        return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}
    validator = Validator(nodes, prompt, image_exists)
    good: list[str] = []
    failed: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, Any] = {}
    for output in outputs:
        try:
            valid, reasons = validator.inputs(output)
        except Exception as exc:  # ComfyUI reports any exception during validation
            valid = False
            reasons = [_error("exception_during_validation", "Exception when validating node", str(exc),
                              exception_type=type(exc).__name__, traceback=[])]
            validator.validated[output] = (False, reasons)
        if valid:
            good.append(output)
            continue
        failed.append((output, reasons))
        for node_id, (ok, node_reasons) in validator.validated.items():
            if not ok and node_reasons:
                entry = node_errors.setdefault(node_id, {"errors": node_reasons, "dependent_outputs": [],
                                                         "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(output)
    if not good:
        lines = [f"{e['message']}: {e['details']}" for _, reasons in failed for e in reasons]
        return False, _error("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                             "\n".join(lines)), [], node_errors
    return True, None, good, node_errors


def model_files_from_workflows(directory: Path | None) -> dict[str, set[str]]:
    """Model file names by models subfolder, from every models.json under `directory`."""
    found: dict[str, set[str]] = {}
    if directory is None or not directory.is_dir():
        return found
    for models_json in sorted(directory.glob("*/models.json")):
        for entry in json.loads(models_json.read_text()):
            found.setdefault(entry["folder"], set()).add(entry["file"])
    return found


def model_files_from_dir(models_dir: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    if models_dir.is_dir():
        for folder in models_dir.iterdir():
            if folder.is_dir():
                found[folder.name] = {os.path.relpath(p, folder) for p in folder.rglob("*") if p.is_file()}
    return found
