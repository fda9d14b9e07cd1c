# The distributor's role: drain the master queue, send to the regional queues and the master DLQ,
# write its own idempotency records, and write its logs. Nothing else.

locals {
  # services/distributor_lambda/forward_ledger.py: KEY_PREFIX; every record key starts with it.
  idempotency_key_pattern = "distributor#*"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Distributor Lambda: master queue in, regional queues out, idempotency records."
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "consume_master" {
  statement {
    sid       = "ConsumeMasterQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.master.arn]
  }
}

resource "aws_iam_role_policy" "consume_master" {
  name   = "master-queue-consume"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.consume_master.json
}

data "aws_iam_policy_document" "forward" {
  statement {
    sid       = "ForwardToRegionalQueues"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
    resources = [for queue in values(var.regional_queues) : queue.queue_arn]
  }

  statement {
    sid       = "RejectToMasterDlq"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.master_dlq.arn]
  }
}

resource "aws_iam_role_policy" "forward" {
  name   = "regional-queues-send"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.forward.json
}

data "aws_iam_policy_document" "idempotency" {
  statement {
    sid       = "IdempotencyRecords"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.idempotency.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = [local.idempotency_key_pattern]
    }
  }
}

resource "aws_iam_role_policy" "idempotency" {
  name   = "idempotency-records"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.idempotency.json
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "logs-write"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}
