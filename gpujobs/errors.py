"""Error types shared by every service, so callers can tell permanent faults from transient ones."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpujobs.task_model import Task


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service must not start."""


class TaskNotFound(LookupError):
    """No task row has this id."""


class TransitionRejected(RuntimeError):
    """A conditional write found the task in a state that forbids the change.

    `task` is the row as the refused write found it (DynamoDB returns it with the refusal), None when
    there is no row; `current` is its status."""

    def __init__(self, task_id: str, wanted: str, task: "Task | None") -> None:
        self.task_id = task_id
        self.wanted = wanted
        self.task = task
        self.current = task.status if task is not None else None
        super().__init__(f"task {task_id}: cannot move to {wanted} from {self.current or 'nothing'}")
