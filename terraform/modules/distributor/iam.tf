# What the distributor may do: drain the master queue, send to the regional queues and the master
# DLQ, and write its own idempotency records. Its role and log permissions are modules/lambda's.

locals {
  # services/distributor_lambda/forward_ledger.py: KEY_PREFIX; every record key starts with it.
  idempotency_key_pattern = "distributor#*"
}

data "aws_iam_policy_document" "consume_master" {
  statement {
    sid       = "ConsumeMasterQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.master.arn]
  }

  # Receiving from, and rejecting to, the master queues when a customer key encrypts them.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseMasterQueueKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

data "aws_region" "current" {}

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

data "aws_iam_policy_document" "idempotency" {
  statement {
    sid       = "IdempotencyRecords"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.idempotency.arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = [local.idempotency_key_pattern]
    }
  }
}
