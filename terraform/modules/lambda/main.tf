# One Lambda function as this project runs every one: its log group, its role (assumed by Lambda,
# allowed to write its own logs, to send traces when tracing is Active, and whatever the caller's
# policy documents allow), the function itself, and an alarm on its errors.

locals {
  package_path = "${coalesce(var.packages_dir, "${path.module}/../../../build/lambda")}/${var.package}.zip"
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of operational logs is cost without use

  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.trusted_services
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = var.role_description
  assume_role_policy = data.aws_iam_policy_document.trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "logs-write"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}

# Active tracing sends segments to X-Ray, which the role must allow; these calls cannot be scoped.
data "aws_iam_policy_document" "tracing" {
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "tracing" {
  count = var.tracing_mode == "Active" ? 1 : 0

  name   = "traces-write"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.tracing.json
}

resource "aws_iam_role_policy" "this" {
  for_each = var.policies

  name   = each.key
  role   = aws_iam_role.this.id
  policy = each.value
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Each caller owns its failure path: the API answers synchronously, the power run is an idempotent re-check, the distributor's source queue redrives to its DLQ
  #checkov:skip=CKV_AWS_117:It calls only AWS APIs; a VPC would need NAT or endpoints that cost more than they protect
  #checkov:skip=CKV_AWS_173:The environment holds resource names and settings only, no secrets
  #checkov:skip=CKV_AWS_272:Packages are built from this repository by its own pipeline; there is no signing profile to check

  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  filename         = local.package_path
  source_code_hash = filebase64sha256(local.package_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  # The log group exists first (so Lambda does not create it without retention), and so does the
  # permission to write to it.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.logs]
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "${var.name} ended invocations with an error (its log group has the trace)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.error_alarm.period_seconds
  evaluation_periods  = var.error_alarm.evaluation_periods
  threshold           = var.error_alarm.threshold
  comparison_operator = "GreaterThanThreshold"
  # No invocations means no errors.
  treat_missing_data = "notBreaching"
  alarm_actions      = var.error_alarm.actions
  ok_actions         = var.error_alarm.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.name}-throttles"
  alarm_description   = "${var.name} refused invocations for want of concurrency (its reserved concurrency or the account's quota)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.error_alarm.period_seconds
  evaluation_periods  = var.error_alarm.evaluation_periods
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.error_alarm.actions
  ok_actions          = var.error_alarm.actions

  tags = var.tags
}
