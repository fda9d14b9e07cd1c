"""Tenants' webhook secrets in the key table, encrypted with KMS: made once, bound to their tenant, and a
rotated secret still signing for ROTATION_OVERLAP_S."""

from typing import Any

import pytest

from gpujobs.webhook_secrets import ROTATION_OVERLAP_S, TenantSecrets
from tests.task_table import create_api_key_table
from tests.unit.moto_world import unique


@pytest.fixture
def secrets(moto_clients: Any) -> TenantSecrets:
    kms = moto_clients.client("kms")
    return TenantSecrets(create_api_key_table(moto_clients.dynamodb, unique("keys")), moto_clients.dynamodb, kms,
                         kms.create_key()["KeyMetadata"]["Arn"])


def test_a_tenant_gets_one_secret(secrets: TenantSecrets) -> None:
    first = secrets.ensure("acme", 1000)
    assert secrets.ensure("acme", 2000) == first == secrets.current("acme")
    assert secrets.signing_secrets("acme", 2000) == [first]
    assert secrets.signing_secrets("nobody", 2000) == [] and secrets.current("nobody") is None
    with pytest.raises(ValueError, match="tenant"):
        secrets.ensure("no spaces", 1000)


def test_a_rotated_secret_signs_beside_the_new_one_for_the_overlap(secrets: TenantSecrets) -> None:
    old = secrets.ensure("acme", 1000)
    new = secrets.rotate("acme", 5000)
    assert new != old and secrets.current("acme") == new
    assert secrets.signing_secrets("acme", 5000 + ROTATION_OVERLAP_S - 1) == [new, old]
    assert secrets.signing_secrets("acme", 5000 + ROTATION_OVERLAP_S) == [new]


def test_a_ciphertext_moved_to_another_tenant_does_not_decrypt(secrets: TenantSecrets, moto_clients: Any) -> None:
    secrets.ensure("acme", 1000)
    db = moto_clients.dynamodb
    item = db.get_item(TableName=secrets.table_name, Key={"key_id": {"S": "webhook-secret#acme"}})["Item"]
    db.put_item(TableName=secrets.table_name, Item={**item, "key_id": {"S": "webhook-secret#mallory"},
                                                     "tenant": {"S": "mallory"}})
    with pytest.raises(moto_clients.client("kms").exceptions.InvalidCiphertextException):
        secrets.current("mallory")
