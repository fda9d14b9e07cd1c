"""A ComfyUI test double that speaks ComfyUI's own HTTP and websocket protocol (see README.md)."""
