"""`gpujobs webhook verify`: check a delivery's signature as a receiver would, for reference and debugging.

    gpujobs webhook verify --secret whsec_... -H 'webhook-id: job_..._completed' \\
        -H 'webhook-timestamp: 1700000000' -H 'webhook-signature: v1,...' --body body.json

The secret comes from --secret or GPUJOBS_WEBHOOK_SECRET (`gpujobs-keys webhook-secret --tenant T`
shows it); the body from --body FILE or stdin, byte for byte as received. Prints `ok`, or says why not
and exits 1 (2 for bad usage).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from gpujobs.webhook_signature import DEFAULT_TOLERANCE_S, InvalidSignature, verify

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    webhook = commands.add_parser("webhook", help="webhook tools")
    actions = webhook.add_subparsers(dest="webhook_command", required=True)
    check = actions.add_parser("verify", help="verify a webhook delivery's signature",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--secret", default=os.environ.get("GPUJOBS_WEBHOOK_SECRET"),
                       help="the tenant's whsec_ secret (GPUJOBS_WEBHOOK_SECRET)")
    check.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                       help="a header of the delivery, as received (repeat for webhook-id, -timestamp, -signature)")
    check.add_argument("--id", help="the webhook-id header's value")
    check.add_argument("--timestamp", help="the webhook-timestamp header's value")
    check.add_argument("--signature", help="the webhook-signature header's value")
    check.add_argument("--body", help="file holding the body as received (default: stdin)")
    check.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S,
                       help="seconds the timestamp may differ from this clock (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    if not args.secret:
        print("gpujobs: webhook verify needs --secret or GPUJOBS_WEBHOOK_SECRET", file=sys.stderr)
        return EXIT_USAGE
    headers: dict[str, str] = {}
    for line in args.header:
        name, sep, value = line.partition(":")
        if not sep:
            print(f"gpujobs: header {line[:80]!r} is not 'NAME: VALUE'", file=sys.stderr)
            return EXIT_USAGE
        headers[name.strip().lower()] = value.strip()
    for name, value in (("webhook-id", args.id), ("webhook-timestamp", args.timestamp),
                        ("webhook-signature", args.signature)):
        if value is not None:
            headers[name] = value
    body = Path(args.body).read_bytes() if args.body else sys.stdin.buffer.read()
    try:
        verify(args.secret, headers, body, now=time.time(), tolerance_s=args.tolerance)
    except InvalidSignature as exc:
        print(f"gpujobs: invalid webhook: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print("ok")
    return EXIT_OK
