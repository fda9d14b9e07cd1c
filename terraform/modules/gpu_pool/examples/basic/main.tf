# One GPU pool in its own region, on a task table and a results bucket of the home region (made
# here too, so the example stands alone; in the stack they are the stack's). Run `make package`
# first (the power Lambda's zip), then terraform init && terraform apply.

provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "us_west_2"
  region = "us-west-2"
}

variable "gpu_instance_id" {
  description = "Id of an existing GPU instance in us-west-2."
  type        = string
  default     = "i-0a1b2c3d4e5f60718"
}

module "task_table" {
  source = "../../../task_table"

  name = "example_task_store"
}

module "results_bucket" {
  source = "../../../results_bucket"

  name          = "example-gpu-orchestrator-results"
  force_destroy = true
}

module "pool" {
  source    = "../../"
  providers = { aws = aws.us_west_2 }

  gpu   = { instance_id = var.gpu_instance_id, manage_tag = true }
  power = { idle_minutes = 15 }

  task_table = {
    name             = module.task_table.table_name
    arn              = module.task_table.table_arn
    status_index_arn = module.task_table.status_index_arn
    region           = "us-east-1"
  }
  results_bucket = { name = module.results_bucket.bucket_name, arn = module.results_bucket.bucket_arn }
}

output "worker_environment" {
  description = "What the pool's worker reads (install.sh --from-json)."
  value       = module.pool.worker_environment
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the pool's GPU instance."
  value       = module.pool.gpu_instance_profile_name
}
