"""Error types shared by every service, so callers can tell permanent faults from transient ones."""


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service must not start."""


class TaskNotFound(LookupError):
    """No task row has this id."""


class TransitionRejected(RuntimeError):
    """A conditional write found the task in a state that forbids the change."""

    def __init__(self, task_id: str, wanted: str, current: str | None) -> None:
        super().__init__(f"task {task_id}: cannot move to {wanted} from {current or 'nothing'}")
        self.task_id = task_id
        self.wanted = wanted
        self.current = current


class DependencyUnavailable(RuntimeError):
    """An AWS dependency failed; nothing durable was left half-done by the caller."""
