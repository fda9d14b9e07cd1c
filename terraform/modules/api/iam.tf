# What the API may do: send jobs to the queue it submits to, write task rows, read API keys, presign result
# downloads and input uploads (a presigned URL can do what the role may: only these prefixes), delete a job's
# results and, when it wakes the GPU itself (no distributor), start the tagged GPU instance or set the
# tagged fleet group's desired capacity.

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "SendTasks"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [var.submit_queue_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseDataKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${data.aws_region.current.name}.amazonaws.com", "s3.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

data "aws_region" "current" {}

data "aws_iam_policy_document" "table" {
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
    resources = [var.task_table_arn, var.status_index_arn, var.tenant_index_arn, var.waiting_index_arn]
  }

  # Reading and writing rows of a table the customer's key encrypts.
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

# Checking a key reads its item, nothing more: keys are created and revoked with the operator's rights.
data "aws_iam_policy_document" "keys" {
  statement {
    sid       = "ReadApiKeys"
    actions   = ["dynamodb:GetItem"]
    resources = [var.api_key_table_arn]
  }
}

data "aws_iam_policy_document" "results" {
  statement {
    sid       = "PresignResults"
    actions   = ["s3:GetObject"]
    resources = ["${var.results_bucket_arn}/${var.results_prefix}*"]
  }

  statement {
    sid       = "DeleteResults"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.results_bucket_arn}/${var.results_prefix}*"]
  }

  # Finding a job's result objects to delete them: listing only under the results prefix.
  statement {
    sid       = "ListResults"
    actions   = ["s3:ListBucket"]
    resources = [var.results_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.results_prefix}*"]
    }
  }

  statement {
    sid       = "PresignUploads"
    actions   = ["s3:PutObject"]
    resources = ["${var.results_bucket_arn}/${var.uploads_prefix}*"]
  }
}

data "aws_iam_policy_document" "instance" {
  count = var.gpu_instance == null ? 0 : 1

  statement {
    sid       = "DescribeInstances"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "StartTaggedGpu"
    actions   = ["ec2:StartInstances"]
    resources = [var.gpu_instance.arn]

    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/${var.gpu_instance.tag_key}"
      values   = [var.gpu_instance.tag_value]
    }
  }
}

data "aws_iam_policy_document" "fleet" {
  count = var.gpu_fleet == null ? 0 : 1

  statement {
    sid       = "DescribeGroups"
    actions   = ["autoscaling:DescribeAutoScalingGroups"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "WakeTaggedFleet"
    actions   = ["autoscaling:SetDesiredCapacity"]
    resources = [var.gpu_fleet.arn]

    condition {
      test     = "StringEquals"
      variable = "autoscaling:ResourceTag/${var.gpu_fleet.tag_key}"
      values   = [var.gpu_fleet.tag_value]
    }
  }
}
