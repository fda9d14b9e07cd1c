"""The double's HTTP and websocket server: ComfyUI's routes, queue, history and events.

Behaviour copied from ComfyUI 0.3.64 (server.py, execution.py, main.py):
- POST /prompt validates against the catalogue; 400 {"error", "node_errors"} when no output is
  valid, else 200 {"prompt_id", "number", "node_errors"} with only the valid outputs queued.
- One prompt runs at a time. Events go to the socket whose clientId is the prompt's client_id:
  execution_start, execution_cached, executing (per node), progress (sampler steps), executed
  (output nodes), then execution_success, execution_error or execution_interrupted; the history
  entry is written after execution_success, and `executing` with node null comes after that.
- POST /interrupt takes effect between nodes; POST /queue deletes pending prompts or clears them.
- Queue and history live in memory: a restarted double has neither, and /history/{id} answers
  200 {} for any id.

Test knobs under /_double (not ComfyUI's): per-node latency, sampler step latency, nodes that
fail, closing every websocket, refusing new websockets; and how often each prompt ran.
"""

import asyncio
import contextlib
import copy
import heapq
import json
import logging
import os
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from local.comfyui_double.catalogue import validate_prompt
from local.comfyui_double.image_nodes import Folders, image_path, make_nodes

log = logging.getLogger("comfyui_double")


@dataclass
class Knobs:
    node_latency_s: float = 0.0
    latency_by_class: dict[str, float] = field(default_factory=dict)
    step_latency_s: float = 0.0
    fail_nodes: dict[str, str] = field(default_factory=dict)  # class_type or node id -> exception message
    refuse_websockets: bool = False
    history_delay_s: float = 0.005  # between execution_success and the history write, as in ComfyUI

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown knob {key!r}")
            setattr(self, key, value)


class Interrupted(Exception):
    pass


class ComfyDouble:
    def __init__(self, base: Path, catalogue: dict[str, Any], knobs: Knobs | None = None) -> None:
        self.folders = Folders(base)
        self.catalogue = catalogue
        self.nodes = catalogue["nodes"]
        self.functions = make_nodes(self.folders)
        self.knobs = knobs or Knobs()
        self.queue: list[tuple[float, str, dict[str, Any], dict[str, Any], list[str]]] = []
        self.running: dict[int, tuple[float, str, dict[str, Any], dict[str, Any], list[str]]] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.number = 0
        self.task_counter = 0
        self.interrupt_flag = False
        self.wakeup = asyncio.Event()
        self.started = time.time()
        self.executions: dict[str, int] = {}

    # events

    async def send(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        message = {"type": event, "data": data}
        targets = list(self.sockets.values()) if sid is None else [self.sockets[sid]] if sid in self.sockets else []
        for ws in targets:
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await ws.send_json(message)

    def queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": len(self.queue) + len(self.running)}}

    async def queue_updated(self) -> None:
        await self.send("status", {"status": self.queue_info()})

    # the executor

    async def run(self) -> None:
        while True:
            while not self.queue:
                self.wakeup.clear()
                await self.wakeup.wait()
            item = heapq.heappop(self.queue)
            item_id = self.task_counter
            self.task_counter += 1
            self.running[item_id] = copy.deepcopy(item)
            await self.queue_updated()
            try:
                history_result, status = await self.execute(item)
            except Exception:  # the executor must survive anything a prompt does
                log.exception("prompt %s crashed the double's executor", item[1])
                history_result, status = {"outputs": {}, "meta": {}}, {"status_str": "error", "completed": False,
                                                                       "messages": []}
            client_id = item[3].get("client_id")
            await asyncio.sleep(self.knobs.history_delay_s)
            prompt = self.running.pop(item_id)
            self.history[prompt[1]] = {"prompt": list(prompt), "outputs": {}, "status": status, **history_result}
            await self.queue_updated()
            if client_id is not None:
                await self.send("executing", {"node": None, "prompt_id": prompt[1]}, client_id)

    async def execute(self, item: tuple[float, str, dict[str, Any], dict[str, Any], list[str]]) -> tuple[dict, dict]:
        _number, prompt_id, prompt, extra_data, outputs = item
        self.interrupt_flag = False
        self.executions[prompt_id] = self.executions.get(prompt_id, 0) + 1
        client_id = extra_data.get("client_id")
        messages: list[tuple[str, dict[str, Any]]] = []

        async def add_message(event: str, data: dict[str, Any], broadcast: bool) -> None:
            data = {**data, "timestamp": int(time.time() * 1000)}
            messages.append((event, data))
            if client_id is not None or broadcast:
                await self.send(event, data, client_id)

        await add_message("execution_start", {"prompt_id": prompt_id}, False)
        await add_message("execution_cached", {"nodes": [], "prompt_id": prompt_id}, False)
        results: dict[str, tuple[Any, ...]] = {}
        ui: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        executed: list[str] = []
        success = True
        for node_id in execution_order(prompt, outputs):
            node = prompt[node_id]
            class_type = node["class_type"]
            if self.interrupt_flag:
                await add_message("execution_interrupted", {"prompt_id": prompt_id, "node_id": node_id,
                                                            "node_type": class_type, "executed": executed}, True)
                success = False
                break
            if client_id is not None:
                await self.send("executing", {"node": node_id, "display_node": node_id, "prompt_id": prompt_id},
                                client_id)
            inputs = {k: (results[str(v[0])][v[1]] if isinstance(v, list) else v) for k, v in node["inputs"].items()}
            try:
                output = await self.run_node(prompt_id, node_id, class_type, inputs, client_id)
            except Exception as exc:  # a node's exception is the prompt's execution_error
                await add_message("execution_error", {
                    "prompt_id": prompt_id, "node_id": node_id, "node_type": class_type, "executed": executed,
                    "exception_message": str(exc), "exception_type": type(exc).__name__,
                    "traceback": traceback.format_tb(exc.__traceback__),
                    "current_inputs": {k: [str(v)] for k, v in node["inputs"].items()},
                    "current_outputs": list(results)}, False)
                success = False
                break
            if isinstance(output, dict) and "ui" in output:
                ui[node_id] = output["ui"]
                meta[node_id] = {"node_id": node_id, "display_node": node_id, "parent_node": None,
                                 "real_node_id": node_id}
                results[node_id] = ()
                if client_id is not None:
                    await self.send("executed", {"node": node_id, "display_node": node_id, "output": output["ui"],
                                                 "prompt_id": prompt_id}, client_id)
            else:
                results[node_id] = output
            executed.append(node_id)
        else:
            await add_message("execution_success", {"prompt_id": prompt_id}, False)
        status = {"status_str": "success" if success else "error", "completed": success,
                  "messages": [list(m) for m in messages]}
        return {"outputs": ui, "meta": meta}, status

    async def run_node(self, prompt_id: str, node_id: str, class_type: str, inputs: dict[str, Any],
                       client_id: str | None) -> Any:
        latency = self.knobs.latency_by_class.get(class_type, self.knobs.node_latency_s)
        if latency:
            await asyncio.sleep(latency)
        failure = self.knobs.fail_nodes.get(node_id) or self.knobs.fail_nodes.get(class_type)
        if failure:
            raise RuntimeError(failure)
        if class_type == "KSampler":
            steps = int(inputs.get("steps", 1))
            for step in range(1, steps + 1):
                if self.knobs.step_latency_s:
                    await asyncio.sleep(self.knobs.step_latency_s)
                if client_id is not None:
                    await self.send("progress", {"value": step, "max": steps, "prompt_id": prompt_id,
                                                 "node": node_id}, client_id)
        return await asyncio.to_thread(self.functions[class_type], **inputs)

    # routes

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()

        @routes.get("/ws")
        async def websocket(request: web.Request) -> web.StreamResponse:
            if self.knobs.refuse_websockets:
                return web.Response(status=503, text="websockets refused by a test knob")
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            sid = request.rel_url.query.get("clientId", "") or uuid.uuid4().hex
            self.sockets.pop(sid, None)
            self.sockets[sid] = ws
            try:
                await self.send("status", {"status": self.queue_info(), "sid": sid}, sid)
                async for msg in ws:
                    if msg.type == WSMsgType.ERROR:
                        break
            finally:
                if self.sockets.get(sid) is ws:
                    self.sockets.pop(sid, None)
            return ws

        @routes.get("/")
        async def root(request: web.Request) -> web.Response:
            return web.Response(text="ComfyUI test double\n")

        @routes.get("/system_stats")
        async def system_stats(request: web.Request) -> web.Response:
            return web.json_response({
                "system": {"os": os.name, "ram_total": 0, "ram_free": 0, "comfyui_version": self.catalogue["version"],
                           "required_frontend_version": "", "installed_templates_version": "",
                           "required_templates_version": "", "python_version": "", "pytorch_version": "",
                           "embedded_python": False, "argv": ["main.py", "--cpu"]},
                "devices": [{"name": "cpu", "type": "cpu", "index": None, "vram_total": 0, "vram_free": 0,
                             "torch_vram_total": 0, "torch_vram_free": 0}]})

        @routes.get("/object_info")
        async def object_info(request: web.Request) -> web.Response:
            return web.json_response(self.object_info())

        @routes.get("/object_info/{node_class}")
        async def object_info_node(request: web.Request) -> web.Response:
            name = request.match_info["node_class"]
            info = self.object_info()
            return web.json_response({name: info[name]} if name in info else {})

        @routes.get("/prompt")
        async def get_prompt(request: web.Request) -> web.Response:
            return web.json_response(self.queue_info())

        @routes.post("/prompt")
        async def post_prompt(request: web.Request) -> web.Response:
            body = await request.json()
            if "number" in body:
                number = float(body["number"])
            else:
                number = self.number
                if body.get("front"):
                    number = -number
                self.number += 1
            if "prompt" not in body:
                error = {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided",
                         "extra_info": {}}
                return web.json_response({"error": error, "node_errors": {}}, status=400)
            prompt = body["prompt"]
            prompt_id = str(body.get("prompt_id", uuid.uuid4()))
            valid, error, outputs, node_errors = validate_prompt(
                self.nodes, prompt, lambda name: image_path(self.folders, name).is_file(),
                body.get("partial_execution_targets"))
            extra_data = dict(body.get("extra_data", {}))
            if "client_id" in body:
                extra_data["client_id"] = body["client_id"]
            if not valid:
                return web.json_response({"error": error, "node_errors": node_errors}, status=400)
            heapq.heappush(self.queue, (number, prompt_id, prompt, extra_data, outputs))
            self.wakeup.set()
            await self.queue_updated()
            return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

        @routes.get("/queue")
        async def get_queue(request: web.Request) -> web.Response:
            return web.json_response({"queue_running": [list(x) for x in self.running.values()],
                                      "queue_pending": [list(x) for x in self.queue]})

        @routes.post("/queue")
        async def post_queue(request: web.Request) -> web.Response:
            body = await request.json()
            if body.get("clear"):
                self.queue = []
            for prompt_id in body.get("delete", []):
                self.queue = [item for item in self.queue if item[1] != prompt_id]
                heapq.heapify(self.queue)
            await self.queue_updated()
            return web.Response(status=200)

        @routes.post("/interrupt")
        async def interrupt(request: web.Request) -> web.Response:
            try:
                body = await request.json()
            except json.JSONDecodeError:
                body = {}
            prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
            if not prompt_id or any(item[1] == prompt_id for item in self.running.values()):
                self.interrupt_flag = True
            return web.Response(status=200)

        @routes.get("/history")
        async def get_history(request: web.Request) -> web.Response:
            max_items = request.rel_url.query.get("max_items")
            items = list(self.history.items())
            if max_items is not None:
                items = items[-int(max_items):]
            return web.json_response(dict(items))

        @routes.get("/history/{prompt_id}")
        async def get_history_item(request: web.Request) -> web.Response:
            prompt_id = request.match_info["prompt_id"]
            entry = self.history.get(prompt_id)
            return web.json_response({prompt_id: entry} if entry is not None else {})

        @routes.post("/history")
        async def post_history(request: web.Request) -> web.Response:
            body = await request.json()
            if body.get("clear"):
                self.history = {}
            for prompt_id in body.get("delete", []):
                self.history.pop(prompt_id, None)
            return web.Response(status=200)

        @routes.post("/upload/image")
        async def upload_image(request: web.Request) -> web.Response:
            post = await request.post()
            image = post.get("image")
            if image is None or not getattr(image, "file", None) or not image.filename:
                return web.Response(status=400)
            upload_dir = self.folders.by_type(post.get("type") or "input")
            if upload_dir is None:
                return web.Response(status=400)
            subfolder = str(post.get("subfolder", ""))
            folder = upload_dir / os.path.normpath(subfolder)
            filename = image.filename
            target = (folder / filename).resolve()
            if os.path.commonpath((str(upload_dir.resolve()), str(target))) != str(upload_dir.resolve()):
                return web.Response(status=400)
            folder.mkdir(parents=True, exist_ok=True)
            data = image.file.read()
            if str(post.get("overwrite")) not in ("true", "1"):
                stem, suffix = os.path.splitext(filename)
                i = 1
                while target.exists() and target.read_bytes() != data:
                    filename = f"{stem} ({i}){suffix}"
                    target = folder / filename
                    i += 1
            target.write_bytes(data)
            return web.json_response({"name": filename, "subfolder": subfolder, "type": post.get("type") or "input"})

        @routes.get("/view")
        async def view(request: web.Request) -> web.StreamResponse:
            query = request.rel_url.query
            if "filename" not in query:
                return web.Response(status=404)
            filename = query["filename"]
            if not filename or filename[0] == "/" or ".." in filename:
                return web.Response(status=400)
            folder = self.folders.by_type(query.get("type", "output"))
            if folder is None:
                return web.Response(status=400)
            if "subfolder" in query:
                candidate = (folder / query["subfolder"]).resolve()
                if os.path.commonpath((str(candidate), str(folder.resolve()))) != str(folder.resolve()):
                    return web.Response(status=403)
                folder = candidate
            file = folder / os.path.basename(filename)
            if not file.is_file():
                return web.Response(status=404)
            return web.Response(body=file.read_bytes(), content_type="image/png",
                                headers={"Content-Disposition": f'filename="{file.name}"'})

        @routes.get("/_double/config")
        async def get_knobs(request: web.Request) -> web.Response:
            return web.json_response(self.knobs.__dict__)

        @routes.put("/_double/config")
        async def put_knobs(request: web.Request) -> web.Response:
            try:
                self.knobs.update(await request.json())
            except ValueError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response(self.knobs.__dict__)

        @routes.get("/_double/stats")
        async def stats(request: web.Request) -> web.Response:
            return web.json_response({"executions": self.executions, "sockets": sorted(self.sockets)})

        @routes.post("/_double/drop_websockets")
        async def drop_websockets(request: web.Request) -> web.Response:
            sockets = list(self.sockets.values())
            self.sockets.clear()
            for ws in sockets:
                await ws.close()
            return web.json_response({"closed": len(sockets)})

        return routes

    def object_info(self) -> dict[str, Any]:
        info = copy.deepcopy(self.nodes)
        files = sorted(p.name for p in self.folders.input.iterdir() if p.is_file())
        info["LoadImage"]["input"]["required"]["image"][0] = files
        return info


def execution_order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    """The nodes the outputs need, each after the nodes it links to."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen:
            return
        seen.add(node_id)
        for value in prompt[node_id]["inputs"].values():
            if isinstance(value, list) and len(value) == 2:
                visit(str(value[0]))
        order.append(node_id)

    for output in sorted(outputs, key=lambda x: (len(x), x)):
        visit(output)
    return order


def build_app(double: ComfyDouble) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes(double.routes())

    async def start_executor(app: web.Application) -> Any:
        task = asyncio.create_task(double.run())
        yield
        task.cancel()

    app.cleanup_ctx.append(start_executor)
    return app
