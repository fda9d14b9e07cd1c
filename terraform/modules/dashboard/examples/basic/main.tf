# An operator's dashboard for a queue, its DLQ, a GPU instance and a power Lambda's log group that
# exist already.

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region of the queue, the instance and the log group."
  type        = string
  default     = "us-east-1"
}

module "dashboard" {
  source = "../../"

  name                 = "example-gpu-orchestrator"
  queue_name           = "gpu_tasks_queue"
  dlq_name             = "gpu_tasks_queue_dlq"
  gpu_instance_id      = "i-0f0f6fd680921de5f"
  power_log_group_name = "/aws/lambda/shutdown-gpu-lambda"
}

output "dashboard_name" {
  description = "Name of the example dashboard."
  value       = module.dashboard.dashboard_name
}
