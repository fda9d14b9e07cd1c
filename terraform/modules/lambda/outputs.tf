output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the function's role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "error_alarm_name" {
  description = "Name of the alarm on the function's errors."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}

output "environment" {
  description = "The function's environment variables, as set."
  value       = var.environment
}

output "policies" {
  description = "The caller's inline policies of the role, by name (without the module's own logs and tracing ones)."
  value       = var.policies
}

output "throttle_alarm_name" {
  description = "Name of the alarm on the function's throttles."
  value       = aws_cloudwatch_metric_alarm.throttles.alarm_name
}
