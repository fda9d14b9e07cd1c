"""`gpujobs-keys`: the operator's command for the API's keys (the key table, API_KEYS_TABLE).

    gpujobs-keys create --tenant acme [--rate-limit 20] [--json]
    gpujobs-keys list [--json]
    gpujobs-keys revoke KEY_ID
    gpujobs-keys webhook-secret --tenant acme [--rotate] [--json]

`create` prints the new key once: only its SHA-256 is stored, so it cannot be shown again. It also
shows the tenant's webhook secret (made with the tenant's first key; the same for every key of the
tenant), which `webhook-secret` shows again at any time and `--rotate` replaces: the old one keeps
signing beside the new one for 24 hours (docs/webhooks.md). Secrets are encrypted with the webhook
secret key (WEBHOOK_SECRET_KEY_ARN of `webhook_environment`) and shown in plain text only here. A revoked
key stops working within the API's key cache time (API_KEY_CACHE_S, at most 10 s). The command
reads the same settings as the services (GPUJOBS_OUTPUTS_FILE's `api_environment`, overlaid by the
environment) and runs with the operator's own AWS credentials: the API itself may only read keys.
Exit status: 0 done, 1 no such key, 2 bad usage or settings, 4 the table or the key service could not be
reached.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients
from gpujobs.api_keys import ApiKey, KeyTable
from gpujobs.errors import ConfigError
from gpujobs.settings import load_settings
from gpujobs.webhook_secrets import TenantSecrets

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 4


def key_table() -> KeyTable:
    settings = load_settings("api").require("API_KEYS_TABLE")
    return KeyTable(settings.get("API_KEYS_TABLE") or "", aws_clients.task_table_client(settings))


def tenant_secrets() -> TenantSecrets:
    settings = load_settings("webhook").require("API_KEYS_TABLE", "WEBHOOK_SECRET_KEY_ARN")
    return TenantSecrets(settings.get("API_KEYS_TABLE") or "", aws_clients.task_table_client(settings),
                         aws_clients.client("kms", settings.aws_region), settings.get("WEBHOOK_SECRET_KEY_ARN") or "")


def _when(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _listed(key: ApiKey) -> dict[str, Any]:
    return {"key_id": key.key_id, "tenant": key.tenant, "created_at": _when(key.created_at),
            "revoked_at": _when(key.revoked_at), "rate_limit": key.rate_limit}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gpujobs-keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key for a tenant and print it (once)")
    create.add_argument("--tenant", required=True, help="the tenant the key acts for")
    create.add_argument("--rate-limit", type=float, default=None,
                        help="requests per second for this key (default: the API's API_RATE_LIMIT)")
    create.add_argument("--json", action="store_true",
                        help='print {"key", "key_id", "tenant", "webhook_secret"} as JSON')
    listing = commands.add_parser("list", help="every key: id, tenant, created, revoked")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    secret = commands.add_parser("webhook-secret", help="show (or rotate) the tenant's webhook signing secret")
    secret.add_argument("--tenant", required=True)
    secret.add_argument("--rotate", action="store_true",
                        help="replace it; the old one still signs beside the new one for 24 h")
    secret.add_argument("--json", action="store_true", help='print {"tenant", "webhook_secret"} as JSON')
    return parser


def run(args: argparse.Namespace, table: KeyTable, secrets: Callable[[], TenantSecrets] = tenant_secrets) -> int:
    now = int(time.time())
    if args.command == "create":
        try:
            key, record = table.create(args.tenant, now, args.rate_limit)
        except ValueError as exc:
            print(f"gpujobs-keys: {exc}", file=sys.stderr)
            return EXIT_USAGE
        webhook_secret = secrets().ensure(record.tenant, now)
        if args.json:
            print(json.dumps({"key": key, "key_id": record.key_id, "tenant": record.tenant,
                              "webhook_secret": webhook_secret}))
        else:
            print(key)
            print(f"key {record.key_id} for tenant {record.tenant}: shown only now, keep it", file=sys.stderr)
            print(f"tenant {record.tenant}'s webhook secret: {webhook_secret}", file=sys.stderr)
        return EXIT_OK
    if args.command == "webhook-secret":
        try:
            store = secrets()
            webhook_secret = store.rotate(args.tenant, now) if args.rotate else store.ensure(args.tenant, now)
        except ValueError as exc:
            print(f"gpujobs-keys: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if args.json:
            print(json.dumps({"tenant": args.tenant, "webhook_secret": webhook_secret}))
        else:
            print(webhook_secret)
            if args.rotate:
                print("rotated: deliveries carry a signature with the old secret too for 24 h", file=sys.stderr)
        return EXIT_OK
    if args.command == "list":
        keys = [_listed(k) for k in table.list()]
        if args.json:
            print(json.dumps({"keys": keys}, indent=2))
        else:
            for k in keys:
                state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
                limit = f"{k['rate_limit']:g}/s" if k["rate_limit"] else "default rate"
                print(f"{k['key_id']}  {k['tenant']:<20} created {k['created_at']}  {limit:<14} {state}")
        return EXIT_OK
    if table.revoke(args.key_id, now):
        print(f"key {args.key_id} revoked; the API refuses it within its key cache time (at most 10 s)",
              file=sys.stderr)
        return EXIT_OK
    print(f"gpujobs-keys: no key {args.key_id!r}", file=sys.stderr)
    return EXIT_NOT_FOUND


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args, key_table())
    except ConfigError as exc:
        print(f"gpujobs-keys: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError) as exc:
        print(f"gpujobs-keys: the key table or the key service is unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
