"""The GPU worker: takes jobs from the task queue, runs them on the local ComfyUI Unified API and
records each outcome exactly once in the task table (docs/flows/claim-and-run.md)."""
