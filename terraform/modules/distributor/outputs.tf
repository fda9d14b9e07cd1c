output "master_queue_url" {
  description = "URL of the master queue; point the API's SQS_QUEUE_URL here to use the distributor."
  value       = aws_sqs_queue.master.url
}

output "master_queue_arn" {
  description = "ARN of the master queue (the API role needs sqs:SendMessage on it)."
  value       = aws_sqs_queue.master.arn
}

output "master_dlq_url" {
  description = "URL of the master queue's dead-letter queue."
  value       = aws_sqs_queue.master_dlq.url
}

output "master_dlq_arn" {
  description = "ARN of the master queue's dead-letter queue."
  value       = aws_sqs_queue.master_dlq.arn
}

output "idempotency_table_name" {
  description = "Name of the idempotency table."
  value       = aws_dynamodb_table.idempotency.name
}

output "idempotency_table_arn" {
  description = "ARN of the idempotency table."
  value       = aws_dynamodb_table.idempotency.arn
}

output "lambda_function_name" {
  description = "Name of the distributor function."
  value       = module.function.function_name
}

output "lambda_function_arn" {
  description = "ARN of the distributor function."
  value       = module.function.function_arn
}

output "lambda_role_arn" {
  description = "ARN of the distributor function's role."
  value       = module.function.role_arn
}

output "region_queue_urls" {
  description = "Region -> regional queue URL, as the function reads it from REGION_QUEUES."
  value       = { for region, queue in var.regional_queues : region => queue.queue_url }
}

output "lambda_environment" {
  description = "Environment of the distributor Lambda (the regional queues, the master DLQ, the idempotency table and the tuning values)."
  value       = local.environment
}
