"""Shared core of the GPU job system: settings, the task model and store, the queue message, AWS clients."""
