output "function_name" {
  description = "Name of the webhook function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the webhook function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the webhook function's role."
  value       = module.function.role_arn
}

output "secret_key_arn" {
  description = "ARN of the KMS key that encrypts the tenants' webhook secrets (WEBHOOK_SECRET_KEY_ARN)."
  value       = aws_kms_key.secrets.arn
}

output "event_source_mapping_uuid" {
  description = "Id of the mapping that feeds the task table's stream to the function (null without one)."
  value       = one(aws_lambda_event_source_mapping.task_stream[*].uuid)
}

output "lambda_environment" {
  description = "The function's environment: what a local run of the handler reads as webhook_environment."
  value       = local.environment
}
