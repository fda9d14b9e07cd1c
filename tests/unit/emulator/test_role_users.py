"""How a role's policy documents become a stand-in user's on the emulator: SQS and S3 statements keep
their ARNs, other services' are widened to "*" (moto resolves no other resource), SQS single actions
bring moto's batch names, and a test can move the rights to its own queue or take a statement away."""

import stat

from local.role_users import emulator_document, read_env_file, rebind, without_statements, write_env_file

QUEUE = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ConsumeTasks", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
     "Resource": QUEUE},
    {"Sid": "TaskRows", "Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": [TABLE]},
    {"Sid": "Mixed", "Effect": "Allow", "Action": ["s3:GetObject", "ec2:StartInstances"],
     "Resource": ["arn:aws:s3:::results/*"], "Condition": {"StringEquals": {"ec2:ResourceTag/Purpose": "x"}}},
]}


def test_sqs_and_s3_keep_their_arns_and_the_rest_is_widened():
    statements = emulator_document(DOCUMENT)["Statement"]
    by_actions = {tuple(s["Action"]): s for s in statements}
    consume = by_actions[("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch")]
    assert consume["Resource"] == QUEUE
    assert by_actions[("dynamodb:UpdateItem",)]["Resource"] == "*"
    assert by_actions[("s3:GetObject",)]["Resource"] == ["arn:aws:s3:::results/*"]
    started = by_actions[("ec2:StartInstances",)]
    assert started["Resource"] == "*" and started["Condition"] == DOCUMENT["Statement"][2]["Condition"]


def test_rebind_moves_the_rights_to_a_test_queue_and_leaves_the_rest():
    mine = "arn:aws:sqs:us-east-1:123456789012:adapter-it-1"
    rebound = rebind(DOCUMENT, {QUEUE: mine, "arn:aws:s3:::results": "arn:aws:s3:::mine"})
    resources = [s["Resource"] for s in rebound["Statement"]]
    assert resources == [[mine], [TABLE], ["arn:aws:s3:::mine/*"]]
    assert DOCUMENT["Statement"][0]["Resource"] == QUEUE  # the original is untouched


def test_without_statements_drops_exactly_the_named_ones():
    assert [s["Sid"] for s in without_statements(DOCUMENT, {"TaskRows"})["Statement"]] == ["ConsumeTasks", "Mixed"]


def test_env_file_round_trip_is_private(tmp_path):
    path = write_env_file(tmp_path / ".run" / "admin.env", {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_REGION": "us-east-1"})
    assert read_env_file(path) == {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_REGION": "us-east-1"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
