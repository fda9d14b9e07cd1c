"""Settings of the Unified API: the GPU host's environment map (`worker_environment`, which it shares
with the worker beside it), overlaid by the environment.

Parsed strictly at start: a malformed value stops the service with a message naming the variable.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings, load_settings
from gpujobs.workflow_spec import workflows_dir

DEFAULT_CLIENT_ID = "gpujobs-unified-api"


@dataclass(frozen=True)
class UnifiedConfig:
    comfyui_url: str = "http://127.0.0.1:8188"
    comfyui_dir: Path | None = None
    workflows_dir: Path | None = None
    results_bucket: str = ""
    client_id: str = DEFAULT_CLIENT_ID
    job_timeout_s: float = 1800.0
    input_max_bytes: int = 32 * 1024 * 1024
    input_timeout_s: float = 20.0
    comfyui_timeout_s: float = 30.0
    poll_interval_s: float = 1.0
    ws_silence_s: float = 10.0
    history_wait_s: float = 5.0

    @property
    def comfyui_ws_url(self) -> str:
        parts = urlsplit(self.comfyui_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws"


def load_config(settings: Settings | None = None) -> UnifiedConfig:
    """Read the settings (tests build UnifiedConfig themselves)."""
    env = settings or load_settings("worker")
    url = (env.get("COMFYUI_URL") or "").strip() or UnifiedConfig.comfyui_url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"COMFYUI_URL={url!r} must be an http:// or https:// URL")
    comfyui_dir = (env.get("COMFYUI_DIR") or "").strip()
    if comfyui_dir and not Path(comfyui_dir).is_dir():
        raise ConfigError(f"COMFYUI_DIR={comfyui_dir!r} is not a directory")
    client_id = (env.get("UNIFIED_API_CLIENT_ID") or "").strip() or DEFAULT_CLIENT_ID
    if not client_id.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"UNIFIED_API_CLIENT_ID={client_id!r} must be letters, digits, '-' and '_'")
    return UnifiedConfig(
        comfyui_url=url.rstrip("/"),
        comfyui_dir=Path(comfyui_dir) if comfyui_dir else None,
        workflows_dir=workflows_dir(env.values),
        results_bucket=env.require("RESULTS_BUCKET").results_bucket or "",
        client_id=client_id,
        job_timeout_s=env.number("JOB_TIMEOUT_S", 1800.0, minimum=1.0),
        input_max_bytes=env.integer("INPUT_MAX_BYTES", 32 * 1024 * 1024, minimum=1024),
        input_timeout_s=env.number("INPUT_FETCH_TIMEOUT_S", 20.0, minimum=0.5),
        comfyui_timeout_s=env.number("COMFYUI_TIMEOUT_S", 30.0, minimum=0.5),
        poll_interval_s=env.number("COMFYUI_POLL_INTERVAL_S", 1.0, minimum=0.01),
        ws_silence_s=env.number("COMFYUI_WS_SILENCE_S", 10.0, minimum=0.1),
    )
