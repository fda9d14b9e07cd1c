"""`gpujobs`: submit jobs to the API, read their status, wait for them and download the result.

    gpujobs submit camera-angle --image-url s3://bucket/in.png --prompt "30 degrees left" [--wait --out out/]
    gpujobs submit qwen-image-edit --json body.json [--webhook https://... --webhook-events completed]
    gpujobs status JOB_ID
    gpujobs wait JOB_ID --out out/ [--timeout 900]
    gpujobs list [--status pending] [--workflow camera-angle] [--limit 20] [--cursor C]
    gpujobs cancel JOB_ID
    gpujobs webhook verify --secret whsec_... -H 'webhook-id: ...' -H ... --body body.json
    gpujobs delete JOB_ID
    gpujobs upload photo.png      # prints the s3:// URI to pass as --image-url

`submit` has one subcommand per workflow folder (WORKFLOWS_DIR, default the installed ones) and one
flag per request field (`image_url` is --image-url), typed and described as the folder's spec.json
says; the API checks the values.

The API's address comes from --api or GPUJOBS_API_URL (default http://127.0.0.1:8080), its key from
--api-key, GPUJOBS_API_KEY, or the file .run/api-key (the development key `make up` writes). Job
documents go to stdout as JSON; progress and errors to stderr.
Exit status: 0 done, 1 the job failed or was cancelled, 2 bad usage, 3 the API rejected the
request (4xx), 4 the API is unreachable or failing (5xx), 5 timed out waiting, 6 download failed.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from gpujobs.workflow_spec import InputSpec, WorkflowSpecError
from gpujobs.workflows import Workflows, load_registry
from gpujobs_cli import webhook_verify
from gpujobs_cli.download import download_result
from gpujobs_cli.http import DEFAULT_API_URL, ApiClient, ApiUnavailable, ClientError
from gpujobs_cli.progress import ProgressLine, job_age, job_phase, job_progress

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 5
FINAL = {"completed", "failed", "cancelled"}
# Where `make up` leaves its development key.
DEV_KEY_FILE = Path(".run/api-key")

class UsageError(ClientError):
    exit_code = EXIT_USAGE


class WaitTimedOut(ClientError):
    exit_code = EXIT_TIMEOUT


_TYPES: dict[str, type] = {"image_url": str, "string": str, "integer": int, "number": float}
# The submit command's own flags; a request field of the same name is given as --field-<name>.
OWN_FLAGS = {"--json", "--quiet", "--wait", "--out", "--timeout", "--interval", "--help", "--webhook",
             "--webhook-events"}


def _flag_of(field: str) -> str:
    flag = "--" + field.replace("_", "-")
    return f"--field-{flag[2:]}" if flag in OWN_FLAGS else flag


def _dest(field: str) -> str:
    return f"field_{field}"


def _add_field(parser: argparse.ArgumentParser, spec: InputSpec) -> None:
    """One flag per request field, as the workflow's spec.json describes it."""
    notes = [spec.description] if spec.description else []
    if spec.required:
        notes.append("required")
    if spec.default is not None:
        notes.append(f"default {spec.default}")
    if spec.minimum is not None or spec.maximum is not None:
        low, high = ("" if v is None else v for v in (spec.minimum, spec.maximum))
        notes.append(f"{low}..{high}")
    kwargs: dict[str, Any] = {"dest": _dest(spec.name), "default": None, "help": "; ".join(notes) or None}
    if spec.type == "boolean":
        kwargs["action"] = argparse.BooleanOptionalAction
    else:
        kwargs.update(type=_TYPES[spec.type], metavar=spec.name.upper())
        if spec.choices is not None:
            kwargs.update(choices=list(spec.choices), metavar=None)
    parser.add_argument(_flag_of(spec.name), **kwargs)


def build_parser(workflows: Workflows) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gpujobs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=os.environ.get("GPUJOBS_API_URL") or DEFAULT_API_URL,
                        help="API base URL (GPUJOBS_API_URL; default %(default)s)")
    parser.add_argument("--api-key", default=default_api_key(),
                        help="API key, sent as a Bearer token (GPUJOBS_API_KEY, else the file .run/api-key)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="seconds per HTTP request")
    commands = parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", help="submit a job")
    names = submit.add_subparsers(dest="workflow", required=True)
    for workflow in workflows:
        sub = names.add_parser(workflow.name, help=workflow.description or f"submit a {workflow.name} job",
                               description=workflow.description or None)
        sub.add_argument("--json", dest="json_file", metavar="FILE",
                         help="request body as a JSON file ('-' for stdin); flags given as well override it")
        for spec in workflow.inputs.values():
            _add_field(sub, spec)
        sub.add_argument("--webhook", metavar="URL", help="POST the job's events here, signed (docs/webhooks.md)")
        sub.add_argument("--webhook-events", metavar="EVENTS",
                         help="comma-separated events to send: start, completed (default both)")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only the job id")
        _add_wait_options(sub, with_switch=True)

    status = commands.add_parser("status", help="print a job's status")
    status.add_argument("job_id")

    listing = commands.add_parser("list", help="list your jobs, newest first")
    listing.add_argument("--status", choices=["pending", "processing", "completed", "failed", "cancelled"])
    listing.add_argument("--workflow", help="a workflow name")
    listing.add_argument("--limit", type=int, default=20, help="jobs per page, 1-100 (default %(default)s)")
    listing.add_argument("--cursor", help="next_cursor of the previous page")

    cancel = commands.add_parser("cancel", help="cancel a job (pending: at once; processing: at its next heartbeat)")
    cancel.add_argument("job_id")

    delete = commands.add_parser("delete", help="delete a finished job's result images")
    delete.add_argument("job_id")

    upload = commands.add_parser("upload", help="upload an input image; prints the s3:// URI to submit with")
    upload.add_argument("file", type=Path, help="a PNG, JPEG or WebP image")

    wait = commands.add_parser("wait", help="wait for a job to end, showing its progress, and download the result")
    wait.add_argument("job_id")
    _add_wait_options(wait, with_switch=False)
    webhook_verify.add_parser(commands)
    return parser


def default_api_key() -> str | None:
    """GPUJOBS_API_KEY, else the development key of `make up` when this directory has one."""
    key = os.environ.get("GPUJOBS_API_KEY")
    if key:
        return key
    try:
        return DEV_KEY_FILE.read_text().strip() or None
    except OSError:
        return None


def _add_wait_options(parser: argparse.ArgumentParser, with_switch: bool) -> None:
    if with_switch:
        parser.add_argument("--wait", action="store_true", help="wait for the job as `gpujobs wait` does")
    parser.add_argument("--out", type=Path, help="directory to save the result image in")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait (default %(default)s)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default %(default)s)")


def request_body(args: argparse.Namespace, workflows: Workflows) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.json_file:
        try:
            text = sys.stdin.read() if args.json_file == "-" else Path(args.json_file).read_text()
            body = json.loads(text)
        except OSError as exc:
            raise UsageError(f"cannot read {args.json_file}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"{args.json_file} is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise UsageError(f"{args.json_file} must hold a JSON object")
    inputs = workflows.by_name[args.workflow].inputs
    for field in inputs:
        value = getattr(args, _dest(field))
        if value is not None:
            body[field] = value
    if args.webhook is not None:
        body["webhook"] = args.webhook
    if args.webhook_events is not None:
        body["webhook_events_filter"] = [e.strip() for e in args.webhook_events.split(",") if e.strip()]
    missing = [f for f, spec in inputs.items() if spec.required and f not in body]
    if missing:
        flags = " and ".join(_flag_of(f) for f in missing)
        raise UsageError(f"{flags} required (or give them in --json)")
    return body


def wait_for(client: ApiClient, job_id: str, timeout_s: float, interval_s: float,
             progress: ProgressLine) -> dict[str, Any]:
    """Poll until the job ends, showing its phase; transient API errors are retried until the timeout."""
    started = time.time()
    deadline = time.monotonic() + timeout_s
    job: dict[str, Any] | None = None
    last_error: ApiUnavailable | None = None
    try:
        while True:
            try:
                job = client.status(job_id)
                last_error = None
            except ApiUnavailable as exc:
                last_error = exc
            now = time.time()
            if job is not None:
                progress.show(job_phase(job, job_age(job, started, now)), job_age(job, started, now),
                              note="API unavailable, retrying" if last_error else "", fraction=job_progress(job))
                if job["status"] in FINAL:
                    return job
            elif last_error is not None:
                progress.show("connecting", now - started, note=str(last_error))
            if time.monotonic() >= deadline:
                if last_error is not None:
                    raise last_error
                raise WaitTimedOut(f"job {job_id} did not end within {timeout_s:g} s "
                                   f"(last status: {job['status'] if job else 'unknown'})")
            time.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))
    finally:
        progress.finish()


# The image types an upload may declare, by file extension.
UPLOAD_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def _image_file(path: Path) -> tuple[bytes, str]:
    content_type = UPLOAD_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise UsageError(f"{path}: only {', '.join(sorted(UPLOAD_TYPES))} images can be uploaded")
    try:
        return path.read_bytes(), content_type
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2))


def _finish_wait(client: ApiClient, job_id: str, args: argparse.Namespace) -> int:
    job = wait_for(client, job_id, args.timeout, args.interval, ProgressLine(job_id))
    _print_json(job)
    if job["status"] != "completed":
        print(f"gpujobs: job {job_id} {job['status']}: {job.get('error') or 'no error given'}", file=sys.stderr)
        return EXIT_JOB_FAILED
    if args.out is not None:
        path = download_result(job, args.out)
        print(f"gpujobs: saved {path}", file=sys.stderr)
    return EXIT_OK


def run(args: argparse.Namespace, workflows: Workflows) -> int:
    if args.command == "webhook":
        return webhook_verify.run(args)
    client = ApiClient(args.api, api_key=args.api_key, timeout_s=args.request_timeout)
    if args.command == "submit":
        job = client.submit(workflows.by_name[args.workflow].api_path, request_body(args, workflows))
        if args.quiet:
            print(job["job_id"])
        else:
            _print_json(job)
        if args.wait or args.out is not None:
            return _finish_wait(client, job["job_id"], args)
        return EXIT_OK
    if args.command == "status":
        _print_json(client.status(args.job_id))
        return EXIT_OK
    if args.command == "list":
        _print_json(client.list_jobs(status=args.status, workflow=args.workflow, limit=args.limit,
                                     cursor=args.cursor))
        return EXIT_OK
    if args.command == "cancel":
        _print_json(client.cancel(args.job_id))
        return EXIT_OK
    if args.command == "delete":
        _print_json(client.delete(args.job_id))
        return EXIT_OK
    if args.command == "upload":
        print(client.upload(*_image_file(args.file)))
        return EXIT_OK
    return _finish_wait(client, args.job_id, args)


def main(argv: list[str] | None = None) -> int:
    try:
        workflows = load_registry()
    except WorkflowSpecError as exc:
        print(f"gpujobs: the workflow folders do not load: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = build_parser(workflows).parse_args(argv)
    try:
        return run(args, workflows)
    except ClientError as exc:
        print(f"gpujobs: {exc}", file=sys.stderr)
        details = getattr(exc, "details", None)
        if details:
            for detail in details if isinstance(details, list) else [details]:
                print(f"  {json.dumps(detail) if not isinstance(detail, str) else detail}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
