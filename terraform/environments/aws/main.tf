# The whole system on AWS. The GPU instance exists already; its id is gpu.instance_id.
#
# State: keep it in a remote backend for a team, e.g. add
#   terraform { backend "s3" { bucket = "..." key = "gpu-orchestrator/terraform.tfstate" region = "us-east-1" use_lockfile = true } }
# (an S3 lock file needs Terraform >= 1.10; use dynamodb_table with older versions).

module "stack" {
  source = "../.."

  name_prefix       = var.name_prefix
  names             = var.names
  gpu               = var.gpu
  queue             = var.queue
  power             = var.power
  lambda            = var.lambda
  table             = var.table
  results           = var.results
  api               = var.api
  distributor       = var.distributor
  metrics_namespace = var.metrics_namespace

  remote_pools = { for pool in module.second_pool : pool.region => pool }
}

# Multi-region mode (modules/distributor/README.md): a second GPU pool in another region, behind the
# distributor's master queue, with this region's settings.
module "second_pool" {
  source    = "../../modules/gpu_pool"
  count     = var.second_pool == null ? 0 : 1
  providers = { aws = aws.second_pool }

  name_prefix       = var.name_prefix
  gpu               = merge(var.gpu, { instance_id = var.second_pool.gpu_instance_id })
  queue             = var.queue
  power             = var.power
  lambda            = var.lambda
  metrics_namespace = var.metrics_namespace

  task_table     = module.stack.pool_inputs.task_table
  results_bucket = module.stack.pool_inputs.results_bucket
}
