"""API keys: their format, their stored form and the key table (API_KEYS_TABLE).

A key is `gjk_<key_id>_<secret>`: `key_id` (12 hex characters) is public, names the key's item and
shows in lists and logs; `secret` is 32 random bytes. The table holds only the SHA-256 of the whole
key. A plain hash suffices because the key is 256 bits of randomness, not a password: nobody can
guess one or search the space from a stolen hash, so a slow password hash (bcrypt, argon2) would
only cost every request CPU time for nothing. The comparison is constant-time all the same.

A key belongs to a tenant; jobs belong to the tenant of the key that submitted them. A key may
carry its own rate limit (requests per second); without one the API's default applies. Revoking
sets `revoked_at`: the item stays, so a list shows when a key stopped working.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from gpujobs.task_store import deserialize, serialize

KEY_PREFIX = "gjk"
_KEY = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key's id, or None when `key` is not shaped like one of ours (refused without a read)."""
    match = _KEY.match(key)
    return match.group(1) if match else None


def new_key() -> tuple[str, str]:
    """A fresh (key_id, key)."""
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class ApiKey:
    """A key's item: never the key itself."""

    key_id: str
    key_hash: str
    tenant: str
    created_at: int
    revoked_at: int | None = None
    rate_limit: float | None = None  # requests per second; None: the API's default

    def matches(self, key: str) -> bool:
        return self.revoked_at is None and hmac.compare_digest(self.key_hash, key_hash(key))

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"key_id": self.key_id, "key_hash": self.key_hash, "tenant": self.tenant,
                                "created_at": self.created_at}
        if self.revoked_at is not None:
            item["revoked_at"] = self.revoked_at
        if self.rate_limit is not None:
            item["rate_limit"] = self.rate_limit
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "ApiKey":
        revoked, limit = item.get("revoked_at"), item.get("rate_limit")
        return cls(key_id=str(item["key_id"]), key_hash=str(item["key_hash"]), tenant=str(item["tenant"]),
                   created_at=int(item.get("created_at", 0)), revoked_at=None if revoked is None else int(revoked),
                   rate_limit=None if limit is None else float(limit))


class KeyTable:
    """Reads (the API: GetItem only) and writes (the operator's command) of the key table."""

    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table_name = table_name
        self.db = dynamodb

    def get(self, key_id: str) -> ApiKey | None:
        item = self.db.get_item(TableName=self.table_name, Key={"key_id": {"S": key_id}},
                                ConsistentRead=True).get("Item")
        return ApiKey.from_item(deserialize(item)) if item else None

    def create(self, tenant: str, now: int, rate_limit: float | None = None) -> tuple[str, ApiKey]:
        """A new key for `tenant`: (the key, shown only now; its item)."""
        if not TENANT_PATTERN.match(tenant):
            raise ValueError(f"tenant {tenant!r} must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("the rate limit must be a positive number of requests per second")
        key_id, key = new_key()
        record = ApiKey(key_id, key_hash(key), tenant, now, rate_limit=rate_limit)
        self.db.put_item(TableName=self.table_name, Item=serialize(record.to_item()),
                         ConditionExpression="attribute_not_exists(key_id)")
        return key, record

    def list(self) -> list[ApiKey]:
        """Every key, oldest first (an operator's listing of a small table: a Scan)."""
        keys: list[ApiKey] = []
        start = None
        while True:
            kwargs: dict[str, Any] = {"TableName": self.table_name, "ConsistentRead": True}
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.scan(**kwargs)
            # The table also holds tenants' webhook secrets (gpujobs.webhook_secrets): only keys are listed.
            keys.extend(ApiKey.from_item(deserialize(i)) for i in response.get("Items", [])
                        if "key_hash" in i)
            start = response.get("LastEvaluatedKey")
            if not start:
                return sorted(keys, key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, now: int) -> bool:
        """Mark the key revoked; False when there is no such key. Revoking twice keeps the first time."""
        try:
            self.db.update_item(
                TableName=self.table_name, Key={"key_id": {"S": key_id}},
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
                ConditionExpression="attribute_exists(key_id)",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True
