# The power Lambda (shutdown-gpu-lambda) of one GPU pool: it stops the idle GPU instance, wakes it
# when work waits, and drains the pool's dead letters (failing their task rows) while the GPU
# sleeps. It decides from live facts, so it is invoked both by the queue-empty alarm (through SNS) and
# by a schedule that re-checks, because the alarm acts only when its state changes.

module "function" {
  source = "../lambda"

  name               = var.function_name
  description        = "Stops the idle GPU instance, starts it when work is waiting, and fails the tasks of dead letters."
  package            = "shutdown"
  packages_dir       = var.packages_dir
  handler            = var.handler
  runtime            = var.runtime
  memory_size        = var.memory_size
  timeout            = var.timeout
  tracing_mode       = var.tracing_mode
  log_retention_days = var.log_retention_days
  log_kms_key_arn    = var.log_kms_key_arn
  environment        = var.environment
  # One decision at a time: two concurrent runs could both decide to stop or to start.
  reserved_concurrency = var.reserved_concurrency

  role_name        = var.role_name
  role_description = "Power Lambda: stop the idle tagged GPU instance, start it when work waits, fail the tasks of dead letters."
  policies = {
    "gpu-instance-power" = data.aws_iam_policy_document.instance.json
    "idle-facts-read"    = data.aws_iam_policy_document.facts.json
    "dead-letters-drain" = data.aws_iam_policy_document.dead_letters.json
  }

  error_alarm = { actions = var.alarm_actions }

  tags = var.tags
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "StopTaggedGpu"
    actions   = ["ec2:StopInstances"]
    resources = [var.gpu_instance_arn]

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/${var.gpu_tag_key}"
      values   = [var.gpu_tag_value]
    }
  }

  dynamic "statement" {
    for_each = var.change_instance_type ? [1] : []

    content {
      sid       = "ChangeTaggedGpuType"
      actions   = ["ec2:ModifyInstanceAttribute"]
      resources = [var.gpu_instance_arn]

      condition {
        test     = "StringEquals"
        variable = "ec2:ResourceTag/${var.gpu_tag_key}"
        values   = [var.gpu_tag_value]
      }
    }
  }

  statement {
    sid       = "StartTaggedGpu"
    actions   = ["ec2:StartInstances"]
    resources = [var.gpu_instance_arn]

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/${var.gpu_tag_key}"
      values   = [var.gpu_tag_value]
    }
  }
}

# The live facts: the queue's depth (and its redrive policy), and the pool's open tasks and last
# activity; the master queue and the other pools' queues for the sweep of tasks that can no longer run.
data "aws_iam_policy_document" "facts" {
  statement {
    sid       = "QueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = concat(compact([var.task_queue_arn, var.master_queue_arn]), var.peer_queue_arns)
  }

  statement {
    sid       = "OpenTasks"
    actions   = ["dynamodb:Query", "dynamodb:GetItem"]
    resources = [var.task_table_arn, var.status_index_arn]
  }

  # Reading and failing rows of a table the customer's key encrypts.
  dynamic "statement" {
    for_each = var.task_table_kms_key == null ? [] : [var.task_table_kms_key]

    content {
      sid       = "UseTaskTableKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${split(":", statement.value)[3]}.amazonaws.com"]
      }
    }
  }
}

data "aws_region" "current" {}

# The dead-letter sweep: receive each dead letter, fail its task row (or create the row of a
# hand-sent message that has none), then delete the letter.
data "aws_iam_policy_document" "dead_letters" {
  statement {
    sid       = "DrainDeadLetters"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = var.dlq_arns
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptDeadLetters"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "FailTaskRows"
    actions   = ["dynamodb:UpdateItem", "dynamodb:PutItem"]
    resources = [var.task_table_arn]
  }
}
