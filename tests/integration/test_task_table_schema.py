"""The task table the tests create (tests/task_table.py) is the one Terraform declares: compared with the
table the session's `terraform apply` made."""

from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.settings import load_settings
from tests.task_table import (
    API_KEY_TABLE_KEY_SCHEMA,
    ATTRIBUTES,
    KEY_SCHEMA,
    STATUS_INDEX_SCHEMA,
    TENANT_INDEX_SCHEMA,
    TTL_ATTRIBUTE,
    WAITING_INDEX_SCHEMA,
)

pytestmark = pytest.mark.integration


def test_the_tests_task_table_follows_the_terraform_module(stack: dict[str, Any]) -> None:
    db = aws_clients.client("dynamodb")
    table = db.describe_table(TableName=stack["task_table_name"])["Table"]
    assert table["KeySchema"] == KEY_SCHEMA
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(ATTRIBUTES, key=str)
    indexes = sorted(({k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
                      for i in table["GlobalSecondaryIndexes"]), key=lambda i: i["IndexName"])
    assert indexes == [STATUS_INDEX_SCHEMA, TENANT_INDEX_SCHEMA, WAITING_INDEX_SCHEMA]
    assert STATUS_INDEX_SCHEMA["IndexName"] == stack["task_table_status_index_name"]
    ttl = db.describe_time_to_live(TableName=stack["task_table_name"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TTL_ATTRIBUTE


def test_the_tests_api_key_table_follows_the_terraform_module(stack: dict[str, Any]) -> None:
    name = load_settings("api").require("API_KEYS_TABLE").get("API_KEYS_TABLE")
    table = aws_clients.client("dynamodb").describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == API_KEY_TABLE_KEY_SCHEMA
