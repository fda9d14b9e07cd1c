"""The emulated GPU host for `make up`: what runs on the instance runs only while the instance runs.

It watches the stand-in instance's state in the emulator and, like the real machine booting and
shutting down, starts the ComfyUI double (or uses the ComfyUI named by COMFYUI_URL), the Unified API
and the worker some seconds after the instance becomes `running`, each once the one before is ready,
and stops them (worker first, with its grace period) when the instance stops.
"""
