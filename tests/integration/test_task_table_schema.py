"""The task table the tests create (tests/task_table.py) is the one Terraform declares: compared with the
table the session's `terraform apply` made."""

from typing import Any

import pytest

from gpujobs import aws_clients
from tests.task_table import ATTRIBUTES, KEY_SCHEMA, STATUS_INDEX_SCHEMA, TTL_ATTRIBUTE

pytestmark = pytest.mark.integration


def test_the_tests_task_table_follows_the_terraform_module(stack: dict[str, Any]) -> None:
    db = aws_clients.client("dynamodb")
    table = db.describe_table(TableName=stack["task_table_name"])["Table"]
    assert table["KeySchema"] == KEY_SCHEMA
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(ATTRIBUTES, key=str)
    [index] = table["GlobalSecondaryIndexes"]
    assert {k: index[k] for k in ("IndexName", "KeySchema", "Projection")} == STATUS_INDEX_SCHEMA
    assert index["IndexName"] == stack["task_table_status_index_name"]
    ttl = db.describe_time_to_live(TableName=stack["task_table_name"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TTL_ATTRIBUTE
