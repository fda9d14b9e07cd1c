output "master_queue_url" {
  description = "Where the API sends jobs in this mode (its SQS_QUEUE_URL)."
  value       = module.distributor.master_queue_url
}

output "regional_queue_urls" {
  description = "Region -> queue URL; each region's worker reads its own as SQS_QUEUE_URL."
  value       = module.distributor.region_queue_urls
}
