"""The ComfyUI Unified API: the worker's HTTP contract on the GPU instance, over a stock ComfyUI."""
