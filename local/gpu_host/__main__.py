"""`python -m local.gpu_host`: run the GPU instance's services while the emulated instance runs.

Reads GPU_INSTANCE_ID from `power_environment` of the outputs file (the instance this host stands for
is the one its pool's power run starts and stops) or the environment, and the LOCAL_GPU_* /
BOOT_DELAY_S knobs; SIGTERM or SIGINT stops the children (worker first) and exits.
"""

import argparse
import logging
import os
import signal
import sys

from gpujobs.errors import ConfigError
from gpujobs.json_logging import configure_logging
from gpujobs.settings import load_settings
from local.gpu_host.gpu_host import GpuHost, ec2_instance_state
from local.gpu_host.host_config import HostConfig

log = logging.getLogger("local.gpu_host")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.gpu_host", description=__doc__)
    parser.add_argument("--boot-delay", type=float, help="seconds from `running` to the services starting "
                                                         "(BOOT_DELAY_S, default 20)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings("power").require("GPU_INSTANCE_ID")
        config = HostConfig.from_settings(settings, boot_delay_s=args.boot_delay)
    except ConfigError as exc:
        print(f"local-gpu-host: {exc}", file=sys.stderr)
        return 2
    configure_logging("local-gpu-host", os.environ.get("LOG_LEVEL", "INFO"))
    env = dict(os.environ)
    instance_id = settings.gpu_instance_id or ""
    host = GpuHost(config, instance_id, ec2_instance_state(instance_id), env)

    def on_signal(signum: int, _frame: object) -> None:
        host.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host.run()
    log.info("exited", extra={"event": "host_exited"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
