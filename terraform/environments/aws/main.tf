# The whole system on AWS. The GPU instance is adopted (gpu.instance_id) or created (gpu.ami_id and
# gpu.subnet_id). State is in S3 (backend.tf, configured by backend.hcl).

module "stack" {
  source = "../.."

  name_prefix       = var.name_prefix
  names             = var.names
  gpu               = var.gpu
  host              = var.host
  build             = var.build
  ops               = var.ops
  network           = var.network
  queue             = var.queue
  power             = var.power
  fleet             = var.fleet
  lambda            = var.lambda
  table             = var.table
  results           = var.results
  api               = var.api
  distributor       = var.distributor
  webhooks          = var.webhooks
  metrics_namespace = var.metrics_namespace
  kms_key_arn       = var.kms_key_arn

  remote_pools = { for pool in module.second_pool : pool.region => pool }
}

# Multi-region mode (modules/distributor/README.md): a second GPU pool in another region, behind the
# distributor's master queue, with this region's settings.
module "second_pool" {
  source    = "../../modules/gpu_pool"
  count     = var.second_pool == null ? 0 : 1
  providers = { aws = aws.second_pool }

  name_prefix = var.name_prefix
  gpu = merge(var.gpu, {
    instance_id   = var.second_pool.gpu_instance_id
    ami_id        = var.second_pool.ami_id
    subnet_id     = var.second_pool.subnet_id
    vpc_endpoints = var.second_pool.vpc_endpoints
  })
  host              = var.host
  build             = module.stack.build
  queue             = var.queue
  power             = var.power
  fleet             = var.fleet
  lambda            = var.lambda
  metrics_namespace = var.metrics_namespace

  alarm_actions  = [module.second_pool_ops[0].topic_arn]
  task_table     = module.stack.pool_inputs.task_table
  results_bucket = module.stack.pool_inputs.results_bucket
}

# Alarm actions stay in their alarm's region: the second pool's alarms notify a topic of its own.
module "second_pool_ops" {
  source    = "../../modules/ops"
  count     = var.second_pool == null ? 0 : 1
  providers = { aws = aws.second_pool }

  topic_name        = "${var.name_prefix}gpu-orchestrator-ops"
  topic_kms_key_arn = var.ops.topic_kms_key_arn
  emails            = var.ops.emails
  name_prefix       = var.name_prefix
}
