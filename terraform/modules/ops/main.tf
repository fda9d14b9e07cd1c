# Operations: one SNS topic for everything that hurts, mailed to the team, and the alarms that are
# not a pool's (each pool alarms on its own queue, dead letters, power run and GPU in its region,
# modules/gpu_pool/alarms.tf; each Lambda on its errors and throttles, modules/lambda): the API's
# 5xx answers, the distributor's dead letters, and an optional monthly budget. Alarm actions must
# be in the alarm's region, so a pool in another region gets a topic of its own from this module.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_sns_topic" "this" {
  name              = var.topic_name
  kms_master_key_id = var.topic_kms_key_arn

  tags = var.tags
}

# CloudWatch alarms and budgets of this account may publish (a customer key's policy must let
# cloudwatch.amazonaws.com and budgets.amazonaws.com use it too).
data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountAlarmsAndBudgets"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.key
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  count = var.api_id_known ? 1 : 0

  alarm_name          = "${var.name_prefix}api-5xx"
  alarm_description   = "The API answered 5xx more than ${var.api_5xx_threshold} times in 5 minutes: its Lambda failed or timed out (see its log group and its error alarm)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = var.api_id }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.api_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = toset(var.dead_letter_queue_names)

  alarm_name          = "${each.key}-not-empty"
  alarm_description   = "Dead letters in ${each.key}: messages that could not be delivered. The home pool's power run fails their tasks; read them first if this repeats."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_budgets_budget" "monthly" {
  count = var.monthly_budget_usd == null ? 0 : 1

  name         = "${var.name_prefix}gpu-orchestrator-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.this.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.this.arn]
  }

  depends_on = [aws_sns_topic_policy.this]
}
