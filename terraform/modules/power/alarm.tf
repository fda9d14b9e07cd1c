# The queue-empty alarm: the task queue showed no visible message for alarm_evaluation_periods
# periods; its action notifies the topic, which invokes the Lambda.

resource "aws_sns_topic" "this" {
  name              = var.topic_name
  kms_master_key_id = var.topic_kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_empty" {
  alarm_name          = var.alarm_name
  alarm_description   = "Task queue empty for ${var.alarm_period_seconds * var.alarm_evaluation_periods / 60} minutes: ask the power Lambda to stop the idle GPU."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = 0
  comparison_operator = "LessThanOrEqualToThreshold"
  # An idle queue stops sending metrics; no data means no messages.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.this.arn]

  tags = var.tags
}

resource "aws_sns_topic_subscription" "lambda" {
  topic_arn = aws_sns_topic.this.arn
  protocol  = "lambda"
  endpoint  = module.function.function_arn
}

resource "aws_lambda_permission" "sns" {
  statement_id  = "AllowInvokeFromShutdownTopic"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.this.arn
}
