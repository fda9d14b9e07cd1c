# A GPU pool as a fleet beside an existing stack: an Auto Scaling group of up to max_size created
# hosts with a warm pool, the pool's queue, worker role and power Lambda, on the stack's task table
# and results bucket. Run `make package` first (the power Lambda's zip), then terraform init &&
# terraform apply -var ami_id=... -var subnet_id=... -var task_table_name=... (see the variables).
# With emulator = true the provider skips what only AWS answers (the tests apply it to moto's
# server, named by AWS_ENDPOINT_URL).

provider "aws" {
  region = var.region

  skip_credentials_validation = var.emulator
  skip_requesting_account_id  = var.emulator
  skip_metadata_api_check     = var.emulator
  s3_use_path_style           = var.emulator
}

variable "region" {
  description = "Region of the pool and of the stack's task table."
  type        = string
  default     = "us-east-1"
}

variable "emulator" {
  description = "Whether the provider talks to an AWS emulator (AWS_ENDPOINT_URL) instead of AWS."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Prefix of the pool's names, so it never collides with the stack's own pool."
  type        = string
  default     = "fleet-"
}

variable "ami_id" {
  description = "A GPU AMI of the region for the hosts' launch template."
  type        = string
}

variable "subnet_id" {
  description = "A private subnet for the group's instances."
  type        = string
}

variable "max_size" {
  description = "Most instances the fleet runs at once, an integer from 2 to 100."
  type        = number
  default     = 3
}

variable "task_table_name" {
  description = "Name of the stack's task table."
  type        = string
}

variable "status_index_name" {
  description = "Name of the task table's index on status and created_at."
  type        = string
  default     = "status-created_at-index"
}

variable "results_bucket_name" {
  description = "Name of the stack's results bucket."
  type        = string
}

variable "packages_dir" {
  description = "Where `make package` put the Lambda zips."
  type        = string
  default     = "../../../../../build/lambda"
}

data "aws_dynamodb_table" "tasks" {
  name = var.task_table_name
}

data "aws_s3_bucket" "results" {
  bucket = var.results_bucket_name
}

module "pool" {
  source = "../../"

  name_prefix = var.name_prefix
  distributed = false
  gpu         = { ami_id = var.ami_id, subnet_id = var.subnet_id }
  fleet       = { max_size = var.max_size }
  lambda      = { packages_dir = var.packages_dir, log_retention_days = 1 }
  # moto does not store a DLQ's redrive_allow_policy, so an apply would wait for it for ever.
  queue = { restrict_dlq_sources = !var.emulator }

  task_table = {
    name             = data.aws_dynamodb_table.tasks.name
    arn              = data.aws_dynamodb_table.tasks.arn
    status_index_arn = "${data.aws_dynamodb_table.tasks.arn}/index/${var.status_index_name}"
    region           = var.region
  }
  results_bucket = { name = data.aws_s3_bucket.results.bucket, arn = data.aws_s3_bucket.results.arn }
}

output "fleet" {
  description = "The pool's Auto Scaling group: its name, ARN, maximum size, whether it has a warm pool."
  value       = module.pool.fleet
}

output "power_environment" {
  description = "What the pool's power Lambda reads."
  value       = module.pool.power_environment
}

output "worker_environment" {
  description = "What the pool's workers read."
  value       = module.pool.worker_environment
}
