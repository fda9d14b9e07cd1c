# gpu-orchestrator-task-role: the API enqueues jobs, writes task rows and wakes the GPU instance.
# Left out (api_role_enabled = false) for a GPU pool of another region, which has no API of its own.

resource "aws_iam_role" "api" {
  count = var.api_role_enabled ? 1 : 0

  name               = var.api_role_name
  description        = "Orchestrator API: enqueue jobs, write task rows, start the tagged GPU instance."
  assume_role_policy = data.aws_iam_policy_document.api_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "api_queue" {
  count = var.api_role_enabled ? 1 : 0

  statement {
    sid       = "SendTasks"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [coalesce(var.api_queue_arn, var.task_queue_arn)]
  }
}

resource "aws_iam_role_policy" "api_queue" {
  count = var.api_role_enabled ? 1 : 0

  name   = "task-queue-send"
  role   = aws_iam_role.api[0].id
  policy = data.aws_iam_policy_document.api_queue[0].json
}

data "aws_iam_policy_document" "api_table" {
  count = var.api_role_enabled ? 1 : 0

  statement {
    sid = "TaskRows"
    actions = [
      "dynamodb:PutItem",
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
      "dynamodb:DescribeTable",
    ]
    resources = [var.task_table_arn, var.status_index_arn]
  }
}

resource "aws_iam_role_policy" "api_table" {
  count = var.api_role_enabled ? 1 : 0

  name   = "task-table-write"
  role   = aws_iam_role.api[0].id
  policy = data.aws_iam_policy_document.api_table[0].json
}

data "aws_iam_policy_document" "api_results" {
  count = var.api_role_enabled ? 1 : 0

  statement {
    sid       = "PresignResults"
    actions   = ["s3:GetObject"]
    resources = local.result_object_arns
  }
}

resource "aws_iam_role_policy" "api_results" {
  count = var.api_role_enabled ? 1 : 0

  name   = "results-read"
  role   = aws_iam_role.api[0].id
  policy = data.aws_iam_policy_document.api_results[0].json
}

data "aws_iam_policy_document" "api_instance" {
  count = var.api_role_enabled ? 1 : 0

  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "StartTaggedGpu"
    actions   = ["ec2:StartInstances"]
    resources = local.instance_arns

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/${var.gpu_tag_key}"
      values   = [var.gpu_tag_value]
    }
  }
}

resource "aws_iam_role_policy" "api_instance" {
  count = var.api_role_enabled ? 1 : 0

  name   = "gpu-instance-start"
  role   = aws_iam_role.api[0].id
  policy = data.aws_iam_policy_document.api_instance[0].json
}

data "aws_iam_policy_document" "api_logs" {
  count = var.api_role_enabled ? 1 : 0

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn_prefix}${var.api_log_group_name}:*"]
  }
}

resource "aws_iam_role_policy" "api_logs" {
  count = var.api_role_enabled ? 1 : 0

  name   = "logs-write"
  role   = aws_iam_role.api[0].id
  policy = data.aws_iam_policy_document.api_logs[0].json
}

# The API's role and policies became optional; existing state keeps them without a replacement.

moved {
  from = aws_iam_role.api
  to   = aws_iam_role.api[0]
}

moved {
  from = aws_iam_role_policy.api_queue
  to   = aws_iam_role_policy.api_queue[0]
}

moved {
  from = aws_iam_role_policy.api_table
  to   = aws_iam_role_policy.api_table[0]
}

moved {
  from = aws_iam_role_policy.api_results
  to   = aws_iam_role_policy.api_results[0]
}

moved {
  from = aws_iam_role_policy.api_instance
  to   = aws_iam_role_policy.api_instance[0]
}

moved {
  from = aws_iam_role_policy.api_logs
  to   = aws_iam_role_policy.api_logs[0]
}
