output "topic_arn" {
  description = "ARN of the ops topic (every alarm of the system notifies it)."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of the alarms this module made."
  value       = concat(aws_cloudwatch_metric_alarm.api_5xx[*].alarm_name, [for a in aws_cloudwatch_metric_alarm.dead_letters : a.alarm_name])
}
