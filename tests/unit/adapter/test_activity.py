"""The last-activity row only moves forward and stays out of the status index."""

import re

import boto3
import pytest
from moto import mock_aws

from gpujobs.activity import ACTIVITY_KEY, last_activity, record_activity
from gpujobs.task_message import TASK_ID_PATTERN


@pytest.fixture
def table(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName="tasks", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "task_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
        )
        yield db


def test_nothing_recorded_reads_none(table):
    assert last_activity("tasks", dynamodb=table) is None


def test_activity_only_moves_forward(table):
    assert record_activity("tasks", 100, dynamodb=table)
    assert record_activity("tasks", 200, dynamodb=table)
    assert not record_activity("tasks", 150, dynamodb=table)
    assert last_activity("tasks", dynamodb=table) == 200


def test_row_has_no_status(table):
    record_activity("tasks", 100, dynamodb=table)
    item = table.get_item(TableName="tasks", Key={"task_id": {"S": ACTIVITY_KEY}})["Item"]
    assert "status" not in item


def test_pools_have_rows_of_their_own(table):
    assert record_activity("tasks", 300, dynamodb=table, pool="us-west-2")
    assert record_activity("tasks", 100, dynamodb=table, pool="eu-west-1"), "another pool's later time is no obstacle"
    assert (last_activity("tasks", table, pool="us-west-2"), last_activity("tasks", table, pool="eu-west-1")) == (
        300, 100)
    assert last_activity("tasks", table) is None, "pools leave the single-pool row alone"
    assert last_activity("tasks", table, pool="ap-south-1") is None


def test_pool_row_key_starts_like_no_task_id(table):
    record_activity("tasks", 100, dynamodb=table, pool="us-west-2")
    keys = [i["task_id"]["S"] for i in table.scan(TableName="tasks")["Items"]]
    assert keys == ["#last-activity#us-west-2"]
    assert not re.match(TASK_ID_PATTERN, keys[0])
