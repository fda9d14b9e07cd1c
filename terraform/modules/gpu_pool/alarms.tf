# What hurts in a pool, alarmed in its region and sent to the ops topic (alarm_actions): dead letters
# (a job failed every attempt), a job waiting too long (the GPU does not start or cannot keep up),
# the power run not running (then the GPU never stops), the GPU running idle for twice the idle
# window (the stop did not happen), and starts refused for want of GPU capacity.

locals {
  alarm_prefix = "${var.name_prefix}gpu-pool-${local.region}"
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${local.alarm_prefix}-dead-letters"
  alarm_description   = "A job failed every attempt and is in ${module.queue.dlq_name}; the power run fails its task and deletes the letter. Repeats mean a broken workflow or host."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = module.queue.dlq_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_job" {
  alarm_name          = "${local.alarm_prefix}-oldest-job"
  alarm_description   = "A job has waited in ${module.queue.queue_name} for more than ${var.queue.oldest_job_alarm_seconds} s: the GPU does not start (capacity, power Lambda) or its worker does not take jobs."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = module.queue.queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.queue.oldest_job_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "power_not_running" {
  alarm_name          = "${local.alarm_prefix}-power-not-running"
  alarm_description   = "The power Lambda ${module.power.function_name} has not run for 15 minutes: nothing stops the idle GPU or starts it for waiting work."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = module.power.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  # No invocation at all is exactly what this alarm is for.
  treat_missing_data = "breaching"
  alarm_actions      = var.power.schedule_enabled ? var.alarm_actions : []
  ok_actions         = var.power.schedule_enabled ? var.alarm_actions : []

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "idle_gpu" {
  alarm_name          = "${local.alarm_prefix}-idle-gpu"
  alarm_description   = "The GPU instance has been idle for ${2 * var.power.idle_minutes} minutes, twice the idle window, and still runs: the power run decides to stop but the stop does not happen (permissions, tag, errors)."
  namespace           = var.metrics_namespace
  metric_name         = "IdleMinutes"
  dimensions          = { service = "power" }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 2 * var.power.idle_minutes
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "capacity" {
  alarm_name          = "${local.alarm_prefix}-gpu-capacity"
  alarm_description   = "AWS had no capacity for the GPU instance's type(s) when the power run started it; it retries with backoff${length(var.gpu.fallback_instance_types) > 0 ? " and tries the fallback types" : ""}. Jobs wait meanwhile."
  namespace           = var.metrics_namespace
  metric_name         = "CapacityShortfalls"
  dimensions          = { service = "power" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}
