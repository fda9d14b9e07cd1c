# lambda-gpu-shutdown-role: the power Lambda reads the live facts (queue attributes, open tasks,
# last activity) and stops an idle tagged instance, or starts it when work waits.

resource "aws_iam_role" "shutdown" {
  name               = var.shutdown_role_name
  description        = "Power Lambda: stop the idle tagged GPU instance, start it when work waits."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "shutdown_instance" {
  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "StopTaggedGpu"
    actions   = ["ec2:StopInstances"]
    resources = local.instance_arns

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/${var.gpu_tag_key}"
      values   = [var.gpu_tag_value]
    }
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

resource "aws_iam_role_policy" "shutdown_instance" {
  name   = "gpu-instance-power"
  role   = aws_iam_role.shutdown.id
  policy = data.aws_iam_policy_document.shutdown_instance.json
}

data "aws_iam_policy_document" "shutdown_facts" {
  statement {
    sid       = "QueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [var.task_queue_arn]
  }

  statement {
    sid       = "OpenTasks"
    actions   = ["dynamodb:Query", "dynamodb:GetItem"]
    resources = [var.task_table_arn, var.status_index_arn]
  }
}

resource "aws_iam_role_policy" "shutdown_facts" {
  name   = "idle-facts-read"
  role   = aws_iam_role.shutdown.id
  policy = data.aws_iam_policy_document.shutdown_facts.json
}

data "aws_iam_policy_document" "shutdown_logs" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn_prefix}${var.shutdown_log_group_name}:*"]
  }
}

resource "aws_iam_role_policy" "shutdown_logs" {
  name   = "logs-write"
  role   = aws_iam_role.shutdown.id
  policy = data.aws_iam_policy_document.shutdown_logs.json
}
