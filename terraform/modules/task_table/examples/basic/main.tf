# A task table with its status index, TTL and point-in-time recovery, alone.

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region to create the table in."
  type        = string
  default     = "us-east-1"
}

module "task_table" {
  source = "../../"

  name = "example_task_store"
}

output "table_name" {
  description = "Name of the example task table."
  value       = module.task_table.table_name
}

output "status_index_name" {
  description = "Name of its status/created_at index."
  value       = module.task_table.status_index_name
}
