"""A stand-in for the ComfyUI Unified API that runs on the GPU instance.

It honours the same HTTP contract (submit, status, health) and does real, deterministic image
work with Pillow instead of a diffusion model, so the whole path runs on one machine.
"""
