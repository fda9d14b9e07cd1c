# The roles of SPEC section 5, each with exact actions on exact resources. Starting and stopping
# EC2 instances is further limited to instances carrying the GPU tag.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name
  account   = data.aws_caller_identity.current.account_id

  instance_arns = [
    for id in var.gpu_instance_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:instance/${id}"
  ]
  log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:"
  result_object_arns   = ["${var.results_bucket_arn}/*"]
  input_object_arns    = [for arn in var.input_bucket_arns : "${arn}/*"]
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "api_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.api_trusted_services
    }
  }
}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}
