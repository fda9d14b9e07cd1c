output "region" {
  description = "Region of the pool (its provider's); the key of its queue in the distributor's regional_queues and the worker's GPU_POOL."
  value       = local.region
}

output "queue_url" {
  description = "URL of the pool's queue (the distributor forwards to it; the pool's worker reads it)."
  value       = module.queue.queue_url
}

output "queue_arn" {
  description = "ARN of the pool's queue."
  value       = module.queue.queue_arn
}

output "queue_name" {
  description = "Name of the pool's queue."
  value       = module.queue.queue_name
}

output "dlq_url" {
  description = "URL of the pool's dead-letter queue."
  value       = module.queue.dlq_url
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the pool's GPU instance (see the terraform README)."
  value       = module.iam.gpu_instance_profile_name
}

output "shutdown_lambda_name" {
  description = "Name of the pool's power Lambda."
  value       = module.power.function_name
}

output "alarm_name" {
  description = "Name of the pool's queue-empty alarm."
  value       = module.power.alarm_name
}

output "worker_environment" {
  description = "Environment of the pool's worker (sqs-adapter.service): its queue and visibility timeout, the home table and region, its pool name, the job time limit."
  value       = local.worker_environment
}

output "power_environment" {
  description = "Environment of the pool's power Lambda: its instance, queue and dead-letter queue, the home table and region."
  value       = local.power_environment
}

output "gpu_instance_id" {
  description = "Id of the pool's GPU instance."
  value       = var.gpu_instance_id
}
