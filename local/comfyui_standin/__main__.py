"""`python -m local.comfyui_standin --host 127.0.0.1 --port 8000`: serve the stand-in until SIGTERM/SIGINT.

Command-line flags override the STANDIN_* environment variables; the results bucket comes from
--results-bucket, RESULTS_BUCKET or `worker_environment` of the outputs file (GPUJOBS_OUTPUTS_FILE):
the stand-in runs beside the worker, on the GPU host.
"""

import argparse
import logging
import signal
import sys
import threading

from werkzeug.serving import make_server

from gpujobs.errors import ConfigError
from gpujobs.json_logging import configure_logging
from gpujobs.settings import load_settings
from local.comfyui_standin.app import create_app
from local.comfyui_standin.job_runner import JobRunner
from local.comfyui_standin.result_store import ResultStore
from local.comfyui_standin.standin_config import FAILURE_MODES, StandinConfig

log = logging.getLogger("local.comfyui_standin")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.comfyui_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency", type=float, dest="latency_s", help="seconds a job takes (STANDIN_LATENCY_S)")
    parser.add_argument("--failure-rate", type=float, help="0-1 fraction that fails (STANDIN_FAILURE_RATE)")
    parser.add_argument("--failure-mode", choices=FAILURE_MODES,
                        help="job: jobs end failed; http: requests answer 503 (STANDIN_FAILURE_MODE)")
    parser.add_argument("--seed", type=int, help="default seed and failure RNG seed (STANDIN_SEED)")
    parser.add_argument("--workers", type=int, help="jobs run at once (STANDIN_WORKERS)")
    parser.add_argument("--results-bucket", help="bucket for results (RESULTS_BUCKET)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings("worker").with_values(RESULTS_BUCKET=args.results_bucket).require("RESULTS_BUCKET")
        config = StandinConfig.from_settings(
            settings, latency_s=args.latency_s, failure_rate=args.failure_rate, failure_mode=args.failure_mode,
            seed=args.seed, workers=args.workers,
        )
    except ConfigError as exc:
        print(f"comfyui-standin: {exc}", file=sys.stderr)
        return 2
    configure_logging("comfyui-standin")
    logging.getLogger("werkzeug").setLevel("WARNING")
    runner = JobRunner(config, ResultStore(settings.results_bucket or ""))
    server = make_server(args.host, args.port, create_app(runner), threaded=True)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    log.info("listening", extra={"url": f"http://{args.host}:{server.server_port}",
                                 "results_bucket": settings.results_bucket, **config.public()})
    while not stop.wait(1.0):
        pass
    log.info("stopping")
    server.shutdown()
    runner.shutdown(wait_s=5.0)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
