# What the host needs besides the worker's own policies (modules/gpu_pool): read its settings, its
# wanted build and its setup document, ship its logs and metrics, and answer Session Manager and Run
# Command. Each on exact ARNs but Session Manager's, whose calls AWS does not scope to resources.

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
  }

  name   = each.key
  role   = var.role_name
  policy = each.value
}

# Session Manager (a shell without ssh keys or inbound rules) and Run Command (the setup document):
# the agent's calls, as AWS maintains them.
resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = var.role_name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
