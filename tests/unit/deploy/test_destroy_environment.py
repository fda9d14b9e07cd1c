"""`make destroy`'s decisions, from a state and outputs written out in full: which instances it stops,
which state entries it keeps out of the destroy, and why it refuses to delete the data."""

from typing import Any

from scripts.destroy_environment import data_addresses, gpu_instances, refusal_to_delete_data


def _state(table: dict[str, Any], bucket: dict[str, Any]) -> dict[str, Any]:
    return {"values": {"root_module": {"child_modules": [{"child_modules": [
        {"resources": [{"address": "module.stack.module.task_table.aws_dynamodb_table.this",
                        "type": "aws_dynamodb_table", "values": table}]},
        {"resources": [{"address": "module.stack.module.results_bucket.aws_s3_bucket.this",
                        "type": "aws_s3_bucket", "values": bucket}]},
    ]}]}}}


def test_every_pools_instance_is_stopped_in_its_region() -> None:
    outputs = {"gpu_instance_id": "i-0f0f6fd680921de5f", "aws_region": "us-east-1",
               "second_pool": {"gpu_instance_id": "i-0a1b2c3d4e5f60718", "region": "us-west-2"}}
    assert [(i.instance_id, i.region) for i in gpu_instances(outputs)] == [
        ("i-0f0f6fd680921de5f", "us-east-1"), ("i-0a1b2c3d4e5f60718", "us-west-2")]
    assert gpu_instances({"gpu_instance_id": "i-0f0f6fd680921de5f", "aws_region": "us-east-1",
                          "second_pool": None})[0].region == "us-east-1"


def test_the_table_and_bucket_modules_leave_the_state_and_nothing_else() -> None:
    listed = [
        "module.stack.module.task_table.aws_dynamodb_table.this",
        "module.stack.module.results_bucket.aws_s3_bucket.this",
        "module.stack.module.results_bucket.aws_s3_bucket_policy.this[0]",
        "module.stack.module.task_table_archive.aws_dynamodb_table.this",
        "module.stack.module.home_pool.module.queue.aws_sqs_queue.this",
    ]
    assert data_addresses(listed) == listed[:3]


def test_deleting_protected_data_is_refused_with_the_setting_to_change() -> None:
    reason = refusal_to_delete_data(_state({"name": "task_store", "deletion_protection_enabled": True},
                                           {"bucket": "gpu-orchestrator-results-1", "force_destroy": False}))
    assert reason is not None
    assert "task_store has deletion protection: set table = { deletion_protection = false }" in reason
    assert "gpu-orchestrator-results-1 may hold results: set results = { force_destroy = true }" in reason


def test_unprotected_data_may_be_deleted() -> None:
    assert refusal_to_delete_data(_state({"name": "task_store", "deletion_protection_enabled": False},
                                         {"bucket": "b", "force_destroy": True})) is None
