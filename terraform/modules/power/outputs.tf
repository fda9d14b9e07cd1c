output "function_name" {
  description = "Name of the power Lambda."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the power Lambda."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "Log group of the power Lambda; its decision lines are here."
  value       = aws_cloudwatch_log_group.this.name
}

output "topic_arn" {
  description = "ARN of the SNS topic the alarm notifies."
  value       = aws_sns_topic.this.arn
}

output "alarm_name" {
  description = "Name of the queue-empty alarm."
  value       = aws_cloudwatch_metric_alarm.queue_empty.alarm_name
}

output "alarm_arn" {
  description = "ARN of the queue-empty alarm."
  value       = aws_cloudwatch_metric_alarm.queue_empty.arn
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that re-checks periodically."
  value       = aws_cloudwatch_event_rule.recheck.name
}
