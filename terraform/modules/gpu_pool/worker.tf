# The role of the worker on the pool's GPU instance, and the instance profile that carries it: it
# consumes the pool's queue, moves task rows through their states, reads inputs and writes results.
# No EC2 action: the worker neither starts nor stops its instance.

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "worker" {
  name               = local.names.worker_role
  description        = "GPU worker: consume the task queue, update task rows, read inputs and write results."
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json

  tags = var.tags
}

resource "aws_iam_instance_profile" "worker" {
  name = local.names.instance_profile
  role = aws_iam_role.worker.name

  tags = var.tags
}

data "aws_iam_policy_document" "worker_queue" {
  statement {
    sid = "ConsumeTasks"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = [module.queue.queue_arn]
  }
}

data "aws_iam_policy_document" "worker_table" {
  statement {
    sid       = "TaskRows"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"]
    resources = [var.task_table.arn]
  }

  # At start the worker looks up the processing tasks it held before a restart, to take them back.
  statement {
    sid       = "OwnProcessingTasks"
    actions   = ["dynamodb:Query"]
    resources = [var.task_table.status_index_arn]
  }

  # Reading and writing rows of a table the customer's key encrypts.
  dynamic "statement" {
    for_each = var.task_table.kms_key_arn == null ? [] : [var.task_table.kms_key_arn]

    content {
      sid       = "UseTaskTableKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${var.task_table.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "worker_objects" {
  statement {
    sid       = "WriteResults"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.results_bucket.arn}/*"]
  }

  # Writing and reading encrypted results, and receiving from the pool's queue when the key encrypts it.
  dynamic "statement" {
    for_each = local.kms_key_arn == null ? [] : [local.kms_key_arn]

    content {
      sid       = "UseDataKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = concat(local.queue_kms_key_arn == null ? [] : ["sqs.${local.region}.amazonaws.com"], ["s3.${var.task_table.region}.amazonaws.com"])
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.gpu.input_bucket_names) > 0 ? [1] : []

    content {
      sid       = "ReadInputs"
      actions   = ["s3:GetObject"]
      resources = [for name in var.gpu.input_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${name}/*"]
    }
  }
}

resource "aws_iam_role_policy" "worker" {
  for_each = {
    "task-queue-consume" = data.aws_iam_policy_document.worker_queue.json
    "task-table-update"  = data.aws_iam_policy_document.worker_table.json
    "objects-read-write" = data.aws_iam_policy_document.worker_objects.json
  }

  name   = each.key
  role   = aws_iam_role.worker.id
  policy = each.value
}
