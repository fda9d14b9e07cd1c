"""A stand-in for the ComfyUI Unified API that runs on the GPU instance.

It honours the same HTTP contract (submit, status, health) and does real, deterministic image
work with Pillow instead of a diffusion model, so the whole path runs on one machine.

    python -m local.comfyui_standin --host 127.0.0.1 --port 8000

Knobs (flags override them): STANDIN_LATENCY_S (seconds a job waits before its image work; default
2), STANDIN_FAILURE_RATE (0-1) with STANDIN_FAILURE_MODE (`job`: accepted jobs end `failed`; `http`:
submit and status requests answer 503), STANDIN_SEED (default seed, and the seed of the failure
draws), STANDIN_WORKERS (jobs run at once; default 2), RESULTS_BUCKET (or the Terraform outputs
file). Test controls: GET /_standin/stats (submissions per workflow), GET/PUT /_standin/config
(change latency_s, failure_rate, failure_mode, seed while running).
"""
