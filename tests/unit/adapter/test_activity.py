"""The last-activity row only moves forward and stays out of the status index."""

import boto3
import pytest
from moto import mock_aws

from gpujobs.activity import ACTIVITY_KEY, last_activity, record_activity


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
