# One region's job queue with its DLQ, created by whichever provider the caller passes
# (`providers = { aws = aws.<region> }`). It is the single-region task queue with the distributor's
# regional defaults: the region's worker consumes it exactly as it would the single task queue.

data "aws_region" "current" {}

module "queue" {
  source = "../../task_queue"

  name                          = var.name
  dlq_name                      = coalesce(var.dlq_name, "${var.name}_dlq")
  visibility_timeout_seconds    = var.visibility_timeout_seconds
  receive_wait_time_seconds     = var.receive_wait_time_seconds
  message_retention_seconds     = var.message_retention_seconds
  dlq_message_retention_seconds = var.dlq_message_retention_seconds
  max_receive_count             = var.max_receive_count
  kms_master_key_id             = var.kms_master_key_id

  tags = var.tags
}
