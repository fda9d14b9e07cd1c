# A private, encrypted, versioned results bucket that expires results after a week, alone.

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region to create the bucket in."
  type        = string
  default     = "us-east-1"
}

variable "bucket_name" {
  description = "Globally unique name of the example bucket."
  type        = string
  default     = "example-gpu-orchestrator-results"
}

module "results_bucket" {
  source = "../../"

  name                  = var.bucket_name
  result_retention_days = 7
  force_destroy         = true
}

output "bucket_name" {
  description = "Name of the example results bucket."
  value       = module.results_bucket.bucket_name
}
