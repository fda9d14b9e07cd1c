"""`make up`: the whole system on this machine, until Ctrl-C.

Starts the emulator (moto's server) on 127.0.0.1:4566, applies `terraform/environments/local` to it
with a fresh state, writes `.run/outputs.json`, creates a development API key of the default tenant
(written alone on one line to `.run/api-key`, where `gpujobs` and `make demo` find it, and the tenant's
webhook secret to `.run/webhook-secret`), then runs the API under gunicorn on 127.0.0.1:8080,
the emulated GPU host (which runs the ComfyUI double, or the ComfyUI named by COMFYUI_URL, the
Unified API and the worker only while the stand-in instance is `running`), the power logic on a
timer and the webhook delivery fed from the task table's stream (local/webhook_stream.py).
GPU_HOSTS=N runs N emulated hosts side by side on one queue, each with its own ports (the first's plus
its index), ComfyUI double and worker id; they follow the pool's one stand-in instance, so the power
logic starts and stops them together. With a fleet (TF_VAR_fleet_max_size=N above 1: the pool is an Auto
Scaling group of up to N instances, no stand-in), local/fleet_hosts.py reads the group every
LOCAL_FLEET_POLL_S seconds (default 3), signing as the power role's user, and runs one emulated host per
InService or Pending instance, with that instance's id and the ports of the lowest free slot (the
GPU_HOSTS scheme); a host whose instance leaves the group gets SIGTERM. WORKFLOWS_DIR, when set, reaches
every service. Ctrl-C stops
everything it started, by PID.

moto enforces IAM: Terraform applies as the emulator's admin, whose key goes to `.run/admin.env` (for a
person inspecting the emulated account: `set -a; . .run/admin.env; set +a; aws sqs list-queues`), and each
service signs as the stand-in user of its own role (local/role_users.py): the API as the API's, the power
timer as the power Lambda's, the webhook stream reader as the webhook Lambda's, the GPU host's children
as the GPU instance's (`.run/roles/gpu-instance.env`), and, in the multi-region mode
(TF_VAR_distributor_enabled=true), the distributor, fed from the master queue in process
(`python -m services.distributor_lambda`), as the distributor Lambda's.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from gpujobs import aws_clients
from gpujobs.errors import ConfigError
from gpujobs.settings import Settings, load_settings
from gpujobs.task_model import DEFAULT_TENANT
from local import emulator
from local import stack as local_stack
from local.fleet_hosts import FleetHosts, group_reader, instance_environment
from local.gpu_host.host_config import MAX_HOSTS, check_slots, host_count, host_environment
from local.processes import stop
from local.role_users import ServiceRoles, service_roles, write_env_file

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"


def launch(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A child in its own session (Ctrl-C reaches only this process), logging to .run/<name>.log."""
    log = open(RUN_DIR / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@dataclass
class Supervisor:
    """Children started here, stopped in reverse order on exit."""

    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        process = launch(name, argv, env)
        self.children.append((name, process))
        return process

    def stop_all(self) -> None:
        stop([process for _name, process in reversed(self.children)], timeout_s=40)

    def exited(self) -> list[str]:
        return [f"{name} (exit {p.returncode})" for name, p in self.children if p.poll() is not None]


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except OSError:  # refused, reset or timed out: not up yet
            time.sleep(0.2)
    return False


def _roles(env: dict[str, str], outputs: dict[str, object]) -> ServiceRoles:
    """The stand-in user of each service's role, made by the admin from the roles Terraform created."""
    credentials = aws_clients.Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    return service_roles(aws_clients.client("iam", env["AWS_REGION"], credentials=credentials), outputs)


def fleet_hosts(env: dict[str, str], roles: ServiceRoles, knobs: Settings, hosts: int,
                gpu_role_file: Path) -> FleetHosts | None:
    """The watcher of the pool's group when the pool is a fleet (GPU_FLEET_GROUP in its power settings)."""
    power = load_settings("power", env)
    group = power.fleet_group
    if not group:
        return None
    slots = power.integer("GPU_FLEET_MAX_SIZE", 1, minimum=1, maximum=MAX_HOSTS)
    if hosts > 1:
        raise ConfigError(f"GPU_HOSTS={hosts} follows one instance; a fleet runs one host per instance of its "
                          "group: leave GPU_HOSTS at 1")
    check_slots(slots, knobs, f"a fleet of {slots}")
    reader_identity = roles.by_service.get("power")
    autoscaling = aws_clients.client("autoscaling", env["AWS_REGION"],
                                     credentials=reader_identity.credentials if reader_identity else None)

    def start(slot: int, instance_id: str) -> subprocess.Popen:
        host_env = {**env, "LOCAL_GPU_ROLE_ENV_FILE": str(gpu_role_file),
                    **instance_environment(slot, instance_id, knobs)}
        return launch(f"gpu-host-{instance_id}", [sys.executable, "-m", "local.gpu_host"], host_env)

    return FleetHosts(group_reader(autoscaling, group), start, slots)


def create_dev_key(env: dict[str, str]) -> Path:
    """A key of the default tenant (the tenant of messages sent by hand), made with the operator's command, and
    the tenant's webhook secret beside it (.run/webhook-secret)."""
    made = subprocess.run([sys.executable, "-m", "gpujobs_cli.keys", "create", "--tenant", DEFAULT_TENANT, "--json"],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    created = json.loads(made.stdout)
    for name, value in (("webhook-secret", created["webhook_secret"]), ("api-key", created["key"])):
        path = RUN_DIR / name
        path.write_text(value + "\n")
        path.chmod(0o600)
    return path


def main() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    knobs = load_settings(None)
    port = knobs.integer("EMULATOR_PORT", 4566, minimum=1, maximum=65535)
    api_bind = knobs.get("API_BIND", "127.0.0.1:8080")
    try:
        hosts = host_count(knobs)
    except ConfigError as exc:
        print(f"make up: {exc}", file=sys.stderr)
        return 2
    supervisor = Supervisor()
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    began = time.monotonic()
    emu = None
    fleet: FleetHosts | None = None
    try:
        t0 = time.monotonic()
        emu = emulator.start(port=port, log_path=RUN_DIR / "emulator.log")
        print(f"emulator   {emu.endpoint}  (moto server, ready in {time.monotonic() - t0:.1f} s)", flush=True)
        env = {**os.environ, **emu.environment()}
        admin_env = write_env_file(RUN_DIR / "admin.env", {
            key: env[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL")})
        print(f"admin      {admin_env} (the identity Terraform applies with)", flush=True)
        print("terraform  applying terraform/environments/local (about a minute: the provider waits "
              "after each SQS queue) ...", flush=True)
        stack = local_stack.apply(env, RUN_DIR / "local")
        outputs_file = RUN_DIR / "outputs.json"
        outputs_file.write_text(stack.outputs_file.read_text())
        print(f"terraform  applied in {stack.apply_seconds:.1f} s; outputs in {outputs_file}", flush=True)
        env["GPUJOBS_OUTPUTS_FILE"] = str(outputs_file)
        roles = _roles(env, stack.outputs)
        print(f"roles      one user per role: {', '.join(sorted(roles.by_service))} sign with their role's "
              f"policies", flush=True)
        gpu_role_file = write_env_file(RUN_DIR / "roles" / "gpu-instance.env", roles.environment("worker"))
        api = load_settings("api", env)
        for name in ("SQS_QUEUE_URL", "DYNAMODB_TABLE", "RESULTS_BUCKET", "GPU_INSTANCE_ID", "GPU_FLEET_GROUP"):
            if api.get(name):
                print(f"           {name} = {api.get(name)}")
        try:
            fleet = fleet_hosts(env, roles, knobs, hosts, gpu_role_file)
        except ConfigError as exc:
            print(f"make up: {exc}", file=sys.stderr)
            return 2
        print(f"api key    {create_dev_key(env)} (tenant {DEFAULT_TENANT}; gpujobs and make demo use it)")
        env.setdefault("IDLE_MINUTES", "2")
        env.setdefault("BOOT_DELAY_S", "20")

        t0 = time.monotonic()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        supervisor.start("api", [gunicorn, "-c", "services/api/gunicorn.conf.py", "--bind", api_bind,
                                 "services.api.wsgi:app"], {**env, **roles.environment("api")})
        if not wait_http(f"http://{api_bind}/health", 30):
            print(f"api did not become healthy; see {RUN_DIR / 'api.log'}")
            return 1
        print(f"api        http://{api_bind}  (gunicorn, ready in {time.monotonic() - t0:.1f} s; "
              f"docs at /docs, OpenAPI at /openapi.json)", flush=True)
        fleet_poll_s = knobs.number("LOCAL_FLEET_POLL_S", 3.0, minimum=0.1, maximum=60.0)
        if fleet is not None:
            group = load_settings("power", env).fleet_group
            print(f"gpu hosts  one per InService or Pending instance of group {group} (up to {fleet.slots}; "
                  f"slot n on the Unified API and ComfyUI double ports plus n), read every {fleet_poll_s:g} s "
                  f"as the power role's user (boot delay {env['BOOT_DELAY_S']} s)")
        else:
            instance_id = str(stack.outputs.get("gpu_instance_id"))
            for index in range(hosts):
                host_env = {**env, "LOCAL_GPU_ROLE_ENV_FILE": str(gpu_role_file),
                            **host_environment(index, instance_id, knobs)}
                name = "gpu-host" if index == 0 else f"gpu-host-{index}"
                supervisor.start(name, [sys.executable, "-m", "local.gpu_host"], host_env)
                unified = host_env.get("LOCAL_UNIFIED_API_PORT", "8000")
                double = f"the ComfyUI double (127.0.0.1:{host_env.get('LOCAL_COMFYUI_PORT', '8188')})"
                comfyui = env.get("COMFYUI_URL") or double
                print(f"gpu host   runs {comfyui}, the Unified API (127.0.0.1:{unified}) and the worker "
                      f"{host_env.get('WORKER_ID', instance_id)} while instance {instance_id} is running "
                      f"(boot delay {env['BOOT_DELAY_S']} s)")
        supervisor.start("power", [sys.executable, "-m", "local.power_timer"], {**env, **roles.environment("power")})
        if fleet is not None:
            print(f"power      sizes the group by the backlog; scales in after {env['IDLE_MINUTES']} idle minutes "
                  f"(IDLE_MINUTES)")
        else:
            print(f"power      stops the GPU after {env['IDLE_MINUTES']} idle minutes (IDLE_MINUTES)")
        supervisor.start("webhooks", [sys.executable, "-m", "local.webhook_stream"],
                         {**env, **roles.environment("webhook"),
                          "WEBHOOK_STREAM_ARN": str(stack.outputs["task_table_stream_arn"])})
        print("webhooks   delivers job events from the task table's stream; http://127.0.0.1:<port> receivers "
              "are accepted here (secret: gpujobs-keys webhook-secret --tenant default)")
        master_queue = stack.outputs.get("distributor_master_queue_url")
        if master_queue:  # the multi-region mode: the emulator cannot run the function, so it runs here
            supervisor.start("distributor", [sys.executable, "-m", "services.distributor_lambda"],
                             {**env, **roles.environment("distributor"), "MASTER_QUEUE_URL": str(master_queue)})
            print(f"distributor forwards {master_queue} to the pools' queues")
        print(f"ready in {time.monotonic() - began:.1f} s. Logs in {RUN_DIR}/*.log. "
              f"Try: make demo. Ctrl-C stops everything.", flush=True)
        next_fleet_read = 0.0
        while not stopping:
            if fleet is not None and time.monotonic() >= next_fleet_read:
                for line in fleet.tick():
                    print(f"fleet      {line}", flush=True)
                next_fleet_read = time.monotonic() + fleet_poll_s
            dead = supervisor.exited() + (fleet.failed() if fleet is not None else [])
            if dead:
                print(f"stopped unexpectedly: {', '.join(dead)}; see {RUN_DIR}/*.log")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping ...", flush=True)
        if fleet is not None:
            stop(fleet.processes(), timeout_s=40)
        supervisor.stop_all()
        if emu is not None:
            emu.stop()
        print("stopped.")


if __name__ == "__main__":
    sys.exit(main())
