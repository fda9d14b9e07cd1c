"""The ComfyUI double answers as ComfyUI 0.3.64 does: validation shapes, event order, interrupts, restarts."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from gpujobs.workflow_spec import load_workflows
from tests.polling import wait_until
from tests.protocol.unified_api.harness import Double, png_bytes

GRAPH = load_workflows()["invert-blend"].graph


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Double]:
    base = tmp_path_factory.mktemp("comfyui")
    process = Double(base, base.parent / "double.log").start()
    requests.post(process.url + "/upload/image", files={"image": ("in.png", png_bytes(), "image/png")},
                  timeout=5).raise_for_status()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(double: Double) -> None:
    double.reset()
    double.knobs(history_delay_s=0.005)


def graph(**changes: Any) -> dict[str, Any]:
    prompt = copy.deepcopy(GRAPH)
    prompt["1"]["inputs"]["image"] = "in.png"
    for node_id, inputs in changes.items():
        prompt[node_id]["inputs"].update(inputs)
    return prompt


def post(double: Double, prompt: dict[str, Any], **extra: Any) -> requests.Response:
    return requests.post(double.url + "/prompt", json={"prompt": prompt, **extra}, timeout=5)


def events_until_done(ws: websocket.WebSocket, prompt_id: str, double: Double,
                      on_success: Any = None) -> list[dict[str, Any]]:
    seen = []
    while True:
        event = json.loads(ws.recv())
        if event["data"].get("prompt_id") not in (prompt_id, None) or event["type"] == "status":
            continue
        seen.append(event)
        if event["type"] == "execution_success" and on_success:
            on_success()
        if event["type"] == "executing" and event["data"]["node"] is None:
            return seen


def test_events_come_in_comfyuis_order_and_history_follows_success(double: Double) -> None:
    double.knobs(history_delay_s=0.3)
    ws = websocket.create_connection(f"{double.url.replace('http', 'ws')}/ws?clientId=order", timeout=10)
    history_at_success: list[Any] = []
    try:
        answer = post(double, graph(), client_id="order", prompt_id="p-order").json()
        assert answer == {"prompt_id": "p-order", "number": answer["number"], "node_errors": {}}
        seen = events_until_done(ws, "p-order", double, lambda: history_at_success.append(
            requests.get(double.url + "/history/p-order", timeout=5).json()))
    finally:
        ws.close()
    kinds = [(e["type"], e["data"].get("node")) for e in seen]
    assert kinds == [("execution_start", None), ("execution_cached", None), ("executing", "1"), ("executing", "2"),
                     ("executing", "3"), ("executing", "4"), ("executed", "4"), ("execution_success", None),
                     ("executing", None)]
    assert history_at_success == [{}]  # written after execution_success ...
    entry = requests.get(double.url + "/history/p-order", timeout=5).json()["p-order"]  # ... before executing null
    assert entry["status"] == {"status_str": "success", "completed": True, "messages": entry["status"]["messages"]}
    assert [m[0] for m in entry["status"]["messages"]] == ["execution_start", "execution_cached", "execution_success"]
    image = entry["outputs"]["4"]["images"][0]
    assert image["type"] == "output" and requests.get(double.url + "/view", params=image, timeout=5).status_code == 200


def test_one_valid_output_is_queued_with_the_other_outputs_errors(double: Double) -> None:
    prompt = graph()
    prompt["5"] = {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "sideways",
                                                          "width": 8, "height": 8, "crop": "disabled"}}
    prompt["6"] = {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}}
    response = post(double, prompt, prompt_id="p-partial")
    assert response.status_code == 200
    errors = response.json()["node_errors"]
    assert errors == {"5": {"errors": [{
        "type": "value_not_in_list", "message": "Value not in list",
        "details": "upscale_method: 'sideways' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']",
        "extra_info": {"input_name": "upscale_method",
                       "input_config": [["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]],
                       "received_value": "sideways"}}], "dependent_outputs": ["6"], "class_type": "ImageScale"}}
    entry = wait_until(lambda: requests.get(double.url + "/history/p-partial", timeout=5).json(), 10, "the prompt")
    assert list(entry["p-partial"]["outputs"]) == ["4"]


@pytest.mark.parametrize(("change", "status", "error_type", "node_error"), [
    ({"2": {"class_type": "NoSuchNode"}}, 400, "invalid_prompt", None),
    ({"3": {"inputs": {"image1": ["1", 0], "image2": ["2", 0], "blend_factor": 0.5}}}, 400,
     "prompt_outputs_failed_validation", ("3", "required_input_missing", "blend_mode")),
    ({"3": {"inputs": {"image1": ["1", 0, 1], "image2": ["2", 0], "blend_factor": 0.5, "blend_mode": "normal"}}},
     400, "prompt_outputs_failed_validation", ("3", "bad_linked_input", "image1")),
    ({"3": {"inputs": {"image1": ["1", 0], "image2": ["2", 0], "blend_factor": 2, "blend_mode": "normal"}}},
     400, "prompt_outputs_failed_validation", ("3", "value_bigger_than_max", "blend_factor")),
    ({"1": {"inputs": {"image": "absent.png"}}}, 400, "prompt_outputs_failed_validation",
     ("1", "custom_validation_failed", "image - Invalid image file: absent.png")),
])
def test_refusals_have_comfyuis_shape(double: Double, change: dict[str, Any], status: int, error_type: str,
                                      node_error: tuple[str, str, str] | None) -> None:
    prompt = graph()
    for node_id, node in change.items():
        prompt[node_id].update(node)
    response = post(double, prompt)
    assert response.status_code == status
    body = response.json()
    assert body["error"]["type"] == error_type
    if node_error is None:
        assert body["node_errors"] == {}
        assert body["error"]["message"] == "Cannot execute because node NoSuchNode does not exist."
        assert body["error"]["details"] == "Node ID '#2'"
    else:
        node_id, kind, details = node_error
        reason = body["node_errors"][node_id]["errors"][0]
        assert (reason["type"], reason["details"]) == (kind, details)


def test_interrupt_acts_between_nodes(double: Double) -> None:
    double.knobs(latency_by_class={"ImageInvert": 2.0})
    ws = websocket.create_connection(f"{double.url.replace('http', 'ws')}/ws?clientId=int", timeout=10)
    try:
        post(double, graph(), prompt_id="p-int", client_id="int")
        # Interrupt while node 2 (ImageInvert) runs, as its `executing` event says, whatever the load.
        while True:
            event = json.loads(ws.recv())
            if event["type"] == "executing" and event["data"].get("node") == "2":
                break
        requests.post(double.url + "/interrupt", json={"prompt_id": "p-int"}, timeout=5).raise_for_status()
    finally:
        ws.close()
    entry = wait_until(lambda: requests.get(double.url + "/history/p-int", timeout=5).json(), 10, "the end")["p-int"]
    assert entry["status"]["status_str"] == "error"
    kind, data = entry["status"]["messages"][-1]
    assert kind == "execution_interrupted"
    assert (data["node_id"], data["node_type"], data["executed"]) == ("3", "ImageBlend", ["1", "2"])


def test_a_restart_empties_queue_and_history(double: Double, tmp_path: Path) -> None:
    post(double, graph(), prompt_id="p-before")
    wait_until(lambda: requests.get(double.url + "/history/p-before", timeout=5).json(), 10, "the prompt")
    double.stop(kill=True)
    double.start()
    double.reset()
    assert requests.get(double.url + "/history/p-before", timeout=5).json() == {}
    assert requests.get(double.url + "/history/anything", timeout=5).json() == {}
    assert requests.get(double.url + "/queue", timeout=5).json() == {"queue_running": [], "queue_pending": []}
    stats = requests.get(double.url + "/system_stats", timeout=5).json()
    assert stats["system"]["comfyui_version"] == "0.3.64"
    info = requests.get(double.url + "/object_info/LoadImage", timeout=5).json()
    assert "in.png" in info["LoadImage"]["input"]["required"]["image"][0]
