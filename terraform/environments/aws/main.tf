# The whole system on AWS. The GPU instance exists already; its id is an input. Only variables
# differ from environments/local. Credentials and region come from the usual AWS sources.
#
# State: keep it in a remote backend for a team, e.g. add
#   terraform { backend "s3" { bucket = "..." key = "gpu-orchestrator/terraform.tfstate" region = "us-east-1" use_lockfile = true } }
# (an S3 lock file needs Terraform >= 1.10; use dynamodb_table with older versions).

module "stack" {
  source = "../.."

  aws_region  = var.aws_region
  name_prefix = var.name_prefix
  tags        = var.tags

  gpu_instance_id         = var.gpu_instance_id
  manage_gpu_instance_tag = var.manage_gpu_instance_tag
  input_bucket_names      = var.input_bucket_names
  results_bucket_name     = var.results_bucket_name
  lambda_packages_dir     = var.lambda_packages_dir

  idle_minutes       = var.idle_minutes
  log_retention_days = var.log_retention_days

  api_domain_name          = var.api_domain_name
  api_certificate_arn      = var.api_certificate_arn
  api_reserved_concurrency = var.api_reserved_concurrency

  shutdown_reserved_concurrency = var.shutdown_reserved_concurrency

  distributor_enabled       = var.second_pool != null
  distributor_remote_queues = { for pool in module.second_pool : pool.region => pool }
}

# Multi-region mode (modules/distributor/README.md): a second GPU pool in another region, behind the
# distributor's master queue. Terraform cannot loop over providers, so a third region is one more
# provider block and one more module block like these two, added to distributor_remote_queues.
provider "aws" {
  alias  = "second_pool"
  region = try(var.second_pool.region, var.aws_region)

  default_tags {
    tags = var.tags
  }
}

module "second_pool" {
  source    = "../../modules/gpu_pool"
  count     = var.second_pool == null ? 0 : 1
  providers = { aws = aws.second_pool }

  name_prefix             = var.name_prefix
  gpu_instance_id         = var.second_pool.gpu_instance_id
  manage_gpu_instance_tag = var.manage_gpu_instance_tag
  task_table_name         = module.stack.task_table_name
  task_table_arn          = module.stack.task_table_arn
  status_index_arn        = module.stack.task_table_status_index_arn
  task_table_region       = module.stack.task_table_region
  results_bucket_name     = module.stack.results_bucket_name
  results_bucket_arn      = module.stack.results_bucket_arn
  input_bucket_arns       = [for name in var.input_bucket_names : "arn:aws:s3:::${name}"]
  package_path            = "${coalesce(var.lambda_packages_dir, "${path.module}/../../../build/lambda")}/shutdown.zip"
  idle_minutes            = var.idle_minutes
  log_retention_days      = var.log_retention_days

  shutdown_reserved_concurrency = var.shutdown_reserved_concurrency
}
