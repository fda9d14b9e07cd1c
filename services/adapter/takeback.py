"""At start, take back the jobs this worker held when it stopped without handing them back.

A worker that dies (SIGKILL, out of memory, a reboot) leaves its tasks `processing` under its lease and
their messages hidden until the visibility its heartbeat last set runs out: minutes. Its worker id is
the instance's, stable across restarts (worker_config), and every claim records the message's receipt
handle in the task row; so on start the worker finds the rows it holds, lets their leases lapse (noting
why), and makes their messages visible again at once. A slot then receives each, claims it, and POSTs it
to the Unified API under the same task id, which answers with the job already in ComfyUI: the job
resumes where it was instead of running twice.
"""

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.task_store import TaskStore
from services.adapter.heartbeat import GONE_CODES

log = logging.getLogger(__name__)

RESTARTED = "the worker restarted while the job ran; resumed from the queue"


def take_back(store: TaskStore, sqs: Any, queue_url: str, worker_id: str, now: int) -> list[str]:
    """Hand this worker's leftover jobs back to the queue; returns their task ids. One try each: whatever
    fails here still comes back when the message's visibility runs out."""
    try:
        held = store.held_by(worker_id)
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not look for jobs left from before a restart: %s", exc)
        return []
    taken: list[str] = []
    for task in held:
        extra = {"job_id": task.task_id, "worker_id": worker_id}
        # The attempt held the job (and the GPU was billed) until this restart handed it back.
        held_s = None if task.started_at is None else now - task.started_at
        if not store.note_retry(task.task_id, worker_id, RESTARTED, now, held_s):
            continue  # taken over meanwhile
        taken.append(task.task_id)
        if not task.receipt_handle:
            log.info("job left from before a restart; its message comes back after its visibility", extra=extra)
            continue
        try:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=task.receipt_handle, VisibilityTimeout=0)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            level = logging.INFO if code in GONE_CODES else logging.WARNING
            log.log(level, "message of a job left from before a restart not released: %s", code, extra=extra)
            continue
        except BotoCoreError as exc:
            log.warning("message of a job left from before a restart not released: %s", exc, extra=extra)
            continue
        log.info("job left from before a restart handed back to the queue", extra=extra)
    return taken
