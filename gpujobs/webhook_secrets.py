"""Each tenant's webhook secret: kept in the key table, encrypted with the webhook secret key (KMS).

Unlike an API key, the secret cannot be stored as a hash: the delivery must sign with it. So its item
(`key_id` = `webhook-secret#<tenant>`, a key id no API key can have) holds the KMS ciphertext, bound
to the tenant by the encryption context {"tenant": <tenant>}: a ciphertext copied to another tenant's
item does not decrypt. Only the operator's key command encrypts (it creates and rotates secrets); only
the webhook delivery decrypts, and its role may read nothing else of the key table.

A rotation keeps the previous secret for ROTATION_OVERLAP_S: deliveries in that time carry a signature
with each secret (space-separated, as Standard Webhooks allow), so receivers can switch at their pace.
"""

from dataclasses import dataclass
from typing import Any

from gpujobs.api_keys import TENANT_PATTERN
from gpujobs.webhook_signature import new_secret

ITEM_PREFIX = "webhook-secret#"
ROTATION_OVERLAP_S = 24 * 3600


def item_key(tenant: str) -> dict[str, Any]:
    return {"key_id": {"S": f"{ITEM_PREFIX}{tenant}"}}


@dataclass
class TenantSecrets:
    """Reads and writes of tenants' secrets; `key_arn` is the KMS key (WEBHOOK_SECRET_KEY_ARN)."""

    table_name: str
    dynamodb: Any
    kms: Any
    key_arn: str

    def _encrypt(self, tenant: str, secret: str) -> bytes:
        return bytes(self.kms.encrypt(KeyId=self.key_arn, Plaintext=secret.encode(),
                                      EncryptionContext={"tenant": tenant})["CiphertextBlob"])

    def _decrypt(self, tenant: str, blob: bytes) -> str:
        return bytes(self.kms.decrypt(KeyId=self.key_arn, CiphertextBlob=blob,
                                      EncryptionContext={"tenant": tenant})["Plaintext"]).decode()

    def _item(self, tenant: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(TableName=self.table_name, Key=item_key(tenant),
                                      ConsistentRead=True).get("Item")

    def current(self, tenant: str) -> str | None:
        item = self._item(tenant)
        return self._decrypt(tenant, item["secret"]["B"]) if item else None

    def ensure(self, tenant: str, now: int) -> str:
        """The tenant's secret, made now if it has none (two concurrent calls agree on one)."""
        if not TENANT_PATTERN.match(tenant):
            raise ValueError(f"tenant {tenant!r} must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        existing = self.current(tenant)
        if existing is not None:
            return existing
        secret = new_secret()
        try:
            self.dynamodb.put_item(
                TableName=self.table_name, ConditionExpression="attribute_not_exists(key_id)",
                Item={**item_key(tenant), "tenant": {"S": tenant}, "secret": {"B": self._encrypt(tenant, secret)},
                      "created_at": {"N": str(int(now))}})
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return self.current(tenant) or secret
        return secret

    def rotate(self, tenant: str, now: int) -> str:
        """A new secret for the tenant; the one it replaces still signs for ROTATION_OVERLAP_S."""
        item = self._item(tenant)
        if item is None:
            return self.ensure(tenant, now)
        secret = new_secret()
        self.dynamodb.update_item(
            TableName=self.table_name, Key=item_key(tenant),
            UpdateExpression="SET secret = :new, previous_secret = :old, rotated_at = :now",
            ConditionExpression="secret = :old",
            ExpressionAttributeValues={":new": {"B": self._encrypt(tenant, secret)}, ":old": item["secret"],
                                       ":now": {"N": str(int(now))}})
        return secret

    def signing_secrets(self, tenant: str, now: float) -> list[str]:
        """The secrets a delivery signs with now, current first; empty when the tenant has none."""
        item = self._item(tenant)
        if item is None:
            return []
        secrets = [self._decrypt(tenant, item["secret"]["B"])]
        rotated_at = int(item.get("rotated_at", {}).get("N", 0))
        if "previous_secret" in item and now < rotated_at + ROTATION_OVERLAP_S:
            secrets.append(self._decrypt(tenant, item["previous_secret"]["B"]))
        return secrets

