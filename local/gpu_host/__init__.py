"""The emulated GPU host for `make up`: what runs on the instance runs only while the instance runs.

It watches the stand-in instance's state in the emulator and, like the real machine booting and
shutting down, starts the ComfyUI stand-in and the worker some seconds after the instance becomes
`running`, and stops them (worker first, with its grace period) when the instance stops.
"""
