"""The task table (and the API key table) as the tests create them: the shapes modules/task_table and
modules/api_key_table declare in Terraform.

One place for every test that needs its own table (moto in process, or a fresh table on the session's
emulator); tests/integration/test_task_table_schema.py checks it against the table the session's
`terraform apply` made, so the two cannot drift apart.
"""

from typing import Any

from gpujobs.task_store import STATUS_INDEX, TENANT_INDEX, WAITING_INDEX

KEY_SCHEMA = [{"AttributeName": "task_id", "KeyType": "HASH"}]
ATTRIBUTES = [
    {"AttributeName": "task_id", "AttributeType": "S"},
    {"AttributeName": "status", "AttributeType": "S"},
    {"AttributeName": "created_at", "AttributeType": "N"},
    {"AttributeName": "tenant", "AttributeType": "S"},
    {"AttributeName": "waiting_tenant", "AttributeType": "S"},
]
STATUS_INDEX_SCHEMA = {
    "IndexName": STATUS_INDEX,
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "created_at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}
TENANT_INDEX_SCHEMA = {
    "IndexName": TENANT_INDEX,
    "KeySchema": [{"AttributeName": "tenant", "KeyType": "HASH"}, {"AttributeName": "created_at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}
WAITING_INDEX_SCHEMA = {
    "IndexName": WAITING_INDEX,
    "KeySchema": [{"AttributeName": "waiting_tenant", "KeyType": "HASH"},
                  {"AttributeName": "created_at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}
TTL_ATTRIBUTE = "ttl"


def create_task_table(dynamodb: Any, name: str) -> str:
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=KEY_SCHEMA,
                          AttributeDefinitions=ATTRIBUTES,
                          GlobalSecondaryIndexes=[STATUS_INDEX_SCHEMA, TENANT_INDEX_SCHEMA, WAITING_INDEX_SCHEMA])
    return name


API_KEY_TABLE_KEY_SCHEMA = [{"AttributeName": "key_id", "KeyType": "HASH"}]


def create_api_key_table(dynamodb: Any, name: str) -> str:
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=API_KEY_TABLE_KEY_SCHEMA,
                          AttributeDefinitions=[{"AttributeName": "key_id", "AttributeType": "S"}])
    return name
