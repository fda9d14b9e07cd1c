output "aws_region" {
  description = "Region of every resource (AWS_REGION)."
  value       = module.stack.aws_region
}

output "task_queue_url" {
  description = "URL of the task queue (SQS_QUEUE_URL)."
  value       = module.stack.task_queue_url
}

output "task_queue_arn" {
  description = "ARN of the task queue."
  value       = module.stack.task_queue_arn
}

output "task_queue_name" {
  description = "Name of the task queue (the alarm's QueueName dimension)."
  value       = module.stack.task_queue_name
}

output "task_dlq_url" {
  description = "URL of the task queue's dead-letter queue (SQS_DLQ_URL)."
  value       = module.stack.task_dlq_url
}

output "task_dlq_arn" {
  description = "ARN of the task queue's dead-letter queue."
  value       = module.stack.task_dlq_arn
}

output "task_table_name" {
  description = "Name of the task table (DYNAMODB_TABLE)."
  value       = module.stack.task_table_name
}

output "task_table_arn" {
  description = "ARN of the task table."
  value       = module.stack.task_table_arn
}

output "task_table_status_index_name" {
  description = "Name of the task table's status/created_at index."
  value       = module.stack.task_table_status_index_name
}

output "results_bucket_name" {
  description = "Name of the results bucket (RESULTS_BUCKET)."
  value       = module.stack.results_bucket_name
}

output "gpu_instance_id" {
  description = "Id of the GPU instance (GPU_INSTANCE_ID)."
  value       = module.stack.gpu_instance_id
}

output "gpu_tag" {
  description = "The tag that marks the GPU instance, as {key, value}."
  value       = module.stack.gpu_tag
}

output "api_role_arn" {
  description = "ARN of the API's role (gpu-orchestrator-task-role)."
  value       = module.stack.api_role_arn
}

output "gpu_instance_role_arn" {
  description = "ARN of the GPU worker's role."
  value       = module.stack.gpu_instance_role_arn
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the GPU instance (aws ec2 associate-iam-instance-profile)."
  value       = module.stack.gpu_instance_profile_name
}

output "shutdown_role_arn" {
  description = "ARN of the power Lambda's role."
  value       = module.stack.shutdown_role_arn
}
