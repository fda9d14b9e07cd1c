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
}
