# A task queue with its DLQ, alone. Run from this directory: terraform init && terraform apply.

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region to create the queues in."
  type        = string
  default     = "us-east-1"
}

module "task_queue" {
  source = "../../"

  name              = "example_tasks_queue"
  dlq_name          = "example_tasks_queue_dlq"
  max_receive_count = 3
}

output "queue_url" {
  description = "URL of the example task queue."
  value       = module.task_queue.queue_url
}

output "dlq_url" {
  description = "URL of the example DLQ."
  value       = module.task_queue.dlq_url
}
