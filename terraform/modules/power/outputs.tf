output "function_name" {
  description = "Name of the power Lambda."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the power Lambda."
  value       = module.function.function_arn
}

output "log_group_name" {
  description = "Log group of the power Lambda; its decision lines are here."
  value       = module.function.log_group_name
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

output "role_arn" {
  description = "ARN of the power Lambda's role."
  value       = module.function.role_arn
}

output "role_name" {
  description = "Name of the power Lambda's role."
  value       = module.function.role_name
}

output "error_alarm_name" {
  description = "Name of the alarm on the power Lambda's errors."
  value       = module.function.error_alarm_name
}

output "drained_queue_arns" {
  description = "ARNs of the dead-letter queues the power run drains (and may read, receive from and delete from)."
  value       = var.dlq_arns
}

output "instance_policy_statements" {
  description = "Statements of the power role's policy on the GPU instance (describe, stop, start and, with fallback types, the type change)."
  value       = data.aws_iam_policy_document.instance.statement
}

output "counted_queue_arns" {
  description = "ARNs of the queues whose holding the power run may read (GetQueueAttributes), as its policy names them."
  value       = one([for s in data.aws_iam_policy_document.facts.statement : s.resources if s.sid == "QueueDepth"])
}
