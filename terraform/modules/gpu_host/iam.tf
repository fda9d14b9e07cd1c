# What the host needs besides the worker's own policies (modules/gpu_pool): read its settings, its
# wanted build and its setup document, ship its logs and metrics, and answer Session Manager and Run
# Command. Each on exact ARNs but Session Manager's and Run Command's, which AWS does not scope.

locals {
  parameter_arn_prefix = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/"
  parameter_arns = [for name in compact([
    var.names.settings_parameter, var.names.agent_parameter, var.build == null ? "" : var.names.build_parameter,
  ]) : "${local.parameter_arn_prefix}${trimprefix(name, "/")}"]

  models = var.software.models_s3_uri == null ? null : {
    bucket = split("/", trimprefix(var.software.models_s3_uri, "s3://"))[0]
    prefix = join("/", slice(split("/", trimprefix(var.software.models_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.software.models_s3_uri, "s3://")))))
  }
}

data "aws_iam_policy_document" "setup" {
  statement {
    sid       = "ReadHostParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = local.parameter_arns
  }

  dynamic "statement" {
    for_each = var.build == null ? [] : [1]

    content {
      sid       = "ReadSetupDocument"
      actions   = ["ssm:GetDocument"]
      resources = ["arn:${local.partition}:ssm:${local.region}:${local.account}:document/${var.names.setup_document}"]
    }
  }

  dynamic "statement" {
    for_each = var.build == null ? [] : [1]

    content {
      sid       = "ReadBuild"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${var.build.bucket}/${var.build.key}"]
    }
  }

  # The build bucket's customer key, in the bucket's region, through S3 only.
  dynamic "statement" {
    for_each = try(var.build.kms_key_arn, null) == null ? [] : [var.build.kms_key_arn]

    content {
      sid       = "DecryptBuild"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${split(":", statement.value)[3]}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.models == null ? [] : [1]

    content {
      sid       = "ReadModels"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${local.models.bucket}/${local.models.prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = local.models == null ? [] : [1]

    content {
      sid       = "ListModels"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${local.models.bucket}"]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${local.models.prefix}*"]
      }
    }
  }
}

data "aws_iam_policy_document" "telemetry" {
  statement {
    sid       = "ShipLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "PutHostMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData cannot be limited to resources; the namespace condition limits it.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.gpu_metrics_namespace]
    }
  }
}

resource "aws_iam_role_policy" "host" {
  for_each = {
    "host-setup-read"      = data.aws_iam_policy_document.setup.json
    "host-telemetry-write" = data.aws_iam_policy_document.telemetry.json
    "host-session-manager" = data.aws_iam_policy_document.session_manager.json
  }

  name   = each.key
  role   = var.role_name
  policy = each.value
}

# Session Manager (a shell without ssh keys or inbound rules) and Run Command (the setup document):
# the agent registers the instance and opens its message channels. AWS scopes only the registration
# to the instance; these are the Session Manager and Run Command part of AmazonSSMManagedInstanceCore,
# without its inventory, patching and association calls, which this host does not use.
data "aws_iam_policy_document" "session_manager" {
  #checkov:skip=CKV_AWS_111:ssmmessages and ec2messages calls cannot be limited to resources; they carry the host's own sessions and commands only

  statement {
    sid       = "RegisterInstance"
    actions   = ["ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations"]
    resources = [local.instance_arn]
  }

  statement {
    sid = "SessionChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  statement {
    sid = "RunCommandMessages"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}
