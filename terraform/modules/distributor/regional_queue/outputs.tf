output "region" {
  description = "Region the queue was created in (the provider's); use it as the key in the distributor's regional_queues."
  value       = data.aws_region.current.name
}

output "queue_url" {
  description = "URL of the regional queue (the region's worker and power logic read it as SQS_QUEUE_URL)."
  value       = module.queue.queue_url
}

output "queue_arn" {
  description = "ARN of the regional queue."
  value       = module.queue.queue_arn
}

output "queue_name" {
  description = "Name of the regional queue (the region's idle alarm watches it)."
  value       = module.queue.queue_name
}

output "dlq_url" {
  description = "URL of the regional dead-letter queue (the region's SQS_DLQ_URL)."
  value       = module.queue.dlq_url
}

output "dlq_arn" {
  description = "ARN of the regional dead-letter queue."
  value       = module.queue.dlq_arn
}
