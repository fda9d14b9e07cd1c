# gpu-orchestrator-task-role: the API enqueues jobs, writes task rows and wakes the GPU instance.

resource "aws_iam_role" "api" {
  name               = var.api_role_name
  description        = "Orchestrator API: enqueue jobs, write task rows, start the tagged GPU instance."
  assume_role_policy = data.aws_iam_policy_document.api_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "api_queue" {
  statement {
    sid       = "SendTasks"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [var.task_queue_arn]
  }
}

resource "aws_iam_role_policy" "api_queue" {
  name   = "task-queue-send"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api_queue.json
}

data "aws_iam_policy_document" "api_table" {
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
  name   = "task-table-write"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api_table.json
}

data "aws_iam_policy_document" "api_results" {
  statement {
    sid       = "PresignResults"
    actions   = ["s3:GetObject"]
    resources = local.result_object_arns
  }
}

resource "aws_iam_role_policy" "api_results" {
  name   = "results-read"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api_results.json
}

data "aws_iam_policy_document" "api_instance" {
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
  name   = "gpu-instance-start"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api_instance.json
}

data "aws_iam_policy_document" "api_logs" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn_prefix}${var.api_log_group_name}:*"]
  }
}

resource "aws_iam_role_policy" "api_logs" {
  name   = "logs-write"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api_logs.json
}
