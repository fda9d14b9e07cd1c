"""The workflows a service runs: the folders of WORKFLOWS_DIR (gpujobs.workflow_spec), by name and by path.

Dispatch is by this registry, never by a name taken from a message. Each service loads it once at
start (`load_registry`), so a bad folder stops the service there, naming the file and the field. A
request is valid when its workflow's model accepts it and every image URL passes the address check;
the API (a submit) and the worker (a message sent by hand for a task no row has) check both with the
same calls, and store it the same way (`stored_body`), a drawn seed included.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from gpujobs.settings import Settings
from gpujobs.url_guard import Resolver, UnsafeUrl, check_fetchable, check_webhook_url, system_resolver
from gpujobs.webhook_events import DEFAULT_EVENTS, WEBHOOK_FIELDS
from gpujobs.workflow_spec import WorkflowSpec, load_workflows, workflows_dir


class RequestInvalid(ValueError):
    """The request can never run; the message says why, `details` lists the faults by field."""

    def __init__(self, reason: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(reason)
        self.details = details or []


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """The first few faults of a pydantic validation, as `field: message; ...`."""
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Workflows:
    """The loaded workflow folders, by name; `for_path` finds one by its api_path."""

    by_name: Mapping[str, WorkflowSpec]
    by_api_path: Mapping[str, WorkflowSpec] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_api_path", {w.api_path: w for w in self.by_name.values()})

    def __iter__(self) -> Any:
        return iter(self.by_name.values())

    def for_path(self, api_path: object) -> WorkflowSpec:
        """The workflow of `api_path`, or RequestInvalid naming the known ones."""
        workflow = self.by_api_path.get(api_path) if isinstance(api_path, str) else None
        if workflow is None:
            raise RequestInvalid(f"unknown api_path {api_path!r:.100}; expected one of {sorted(self.by_api_path)}")
        return workflow

    def name_of(self, api_path: str) -> str | None:
        workflow = self.by_api_path.get(api_path)
        return workflow.name if workflow else None

    def validate_request(self, api_path: object, request_body: object,
                         resolver: Resolver = system_resolver) -> tuple[WorkflowSpec, BaseModel]:
        """Everything a submit checks: a known workflow, a body its model accepts, fetchable image URLs."""
        workflow = self.for_path(api_path)
        try:
            request = workflow.validate(request_body)
        except ValidationError as exc:
            raise RequestInvalid(f"invalid request_body: {describe_errors(exc)}") from None
        check_request_urls(workflow, request, resolver)
        return workflow, request


def load_registry(settings: Settings | Mapping[str, str] | None = None) -> Workflows:
    """The folders of WORKFLOWS_DIR in `settings` (default: the environment, then the installed ones)."""
    values = settings.values if isinstance(settings, Settings) else settings
    return Workflows(load_workflows(workflows_dir(values)))


def check_request_urls(workflow: WorkflowSpec, request: BaseModel, resolver: Resolver = system_resolver) -> None:
    """The address check on every image URL of a request whose model already accepted it."""
    for name in workflow.image_fields:
        url = getattr(request, name, None)
        if not url:
            continue
        try:
            check_fetchable(url, resolver)
        except UnsafeUrl as exc:
            reason = str(exc)[:300]
            raise RequestInvalid(f"{name}: {reason}", [{"loc": [name], "msg": reason, "type": "unsafe_url"}]) from None


def check_webhook(request: BaseModel, allow_loopback: bool = False,
                  resolver: Resolver = system_resolver) -> tuple[str | None, tuple[str, ...] | None]:
    """The request's webhook and its events filter, once the address check passed; (None, None) without one."""
    webhook, events = getattr(request, "webhook", None), getattr(request, "webhook_events_filter", None)
    if webhook is None:
        if events is not None:
            raise RequestInvalid("webhook_events_filter: needs a webhook", [
                {"loc": ["webhook_events_filter"], "msg": "needs a webhook", "type": "value_error"}])
        return None, None
    try:
        check_webhook_url(webhook, allow_loopback, resolver)
    except UnsafeUrl as exc:
        reason = str(exc)[:300]
        details = [{"loc": ["webhook"], "msg": reason, "type": "unsafe_url"}]
        raise RequestInvalid(f"webhook: {reason}", details) from None
    return webhook, tuple(dict.fromkeys(events)) if events else DEFAULT_EVENTS


def stored_body(workflow: WorkflowSpec, request: BaseModel,
                draw: Callable[[int, int], int] | None = None) -> dict[str, Any]:
    """The request as a task row stores it and the worker sends it: JSON types, unset fields and the webhook
    options (the row keeps those apart) left out,
    and a `seed` the request left out drawn now (`draw(low, high)`), so every attempt runs that seed
    and the row records it."""
    body = request.model_dump(mode="json", exclude_none=True, exclude=set(WEBHOOK_FIELDS))
    seed = workflow.seed_input
    if seed is not None and seed.name not in body:
        body[seed.name] = seed.draw(draw or random.SystemRandom().randint)
    return body
