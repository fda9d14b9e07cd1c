# gpu-instance-role and gpu-instance-profile: the worker on the GPU instance consumes the queue,
# moves task rows through their states and reads inputs / writes results in S3.

resource "aws_iam_role" "gpu_instance" {
  name               = var.gpu_instance_role_name
  description        = "GPU worker: consume the task queue, update task rows, read inputs and write results."
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json

  tags = var.tags
}

resource "aws_iam_instance_profile" "gpu_instance" {
  name = var.gpu_instance_profile_name
  role = aws_iam_role.gpu_instance.name

  tags = var.tags
}

data "aws_iam_policy_document" "gpu_queue" {
  statement {
    sid = "ConsumeTasks"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = [var.task_queue_arn]
  }
}

resource "aws_iam_role_policy" "gpu_queue" {
  name   = "task-queue-consume"
  role   = aws_iam_role.gpu_instance.id
  policy = data.aws_iam_policy_document.gpu_queue.json
}

data "aws_iam_policy_document" "gpu_table" {
  statement {
    sid       = "TaskRows"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"]
    resources = [var.task_table_arn]
  }
}

resource "aws_iam_role_policy" "gpu_table" {
  name   = "task-table-update"
  role   = aws_iam_role.gpu_instance.id
  policy = data.aws_iam_policy_document.gpu_table.json
}

data "aws_iam_policy_document" "gpu_objects" {
  statement {
    sid       = "WriteResults"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = local.result_object_arns
  }

  dynamic "statement" {
    for_each = length(local.input_object_arns) > 0 ? [1] : []

    content {
      sid       = "ReadInputs"
      actions   = ["s3:GetObject"]
      resources = local.input_object_arns
    }
  }
}

resource "aws_iam_role_policy" "gpu_objects" {
  name   = "objects-read-write"
  role   = aws_iam_role.gpu_instance.id
  policy = data.aws_iam_policy_document.gpu_objects.json
}
