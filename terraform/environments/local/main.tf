# The whole system on an AWS emulator (moto's server or LocalStack, named by AWS_ENDPOINT_URL): the
# same stack as environments/aws with the emulator's settings, plus a stopped stand-in for the GPU
# instance, which on AWS exists already, or, with fleet_max_size above 1, an Auto Scaling group of
# created hosts in the emulator's default subnet instead of the stand-in. With distributor_enabled, a second pool in second_region
# (its own stand-in) behind the distributor: the multi-region mode.

locals {
  gpu_tag = { key = "Purpose", value = "GPU-ComfyUI" }
  gpu     = { tag_key = local.gpu_tag.key, tag_value = local.gpu_tag.value }
  power   = { idle_minutes = var.idle_minutes }
  lambda  = { packages_dir = var.lambda_packages_dir, log_retention_days = 1 }
  queue   = { restrict_dlq_sources = false }
  fleet   = var.fleet_max_size > 1
}

# A fleet launches from the host's launch template into a subnet; moto's default VPC has one per zone.
data "aws_subnets" "default" {
  count = local.fleet ? 1 : 0

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

module "gpu_stand_in" {
  source = "./stand_in"
  count  = local.fleet ? 0 : 1

  name                  = "${var.name_prefix}gpu-comfyui-stand-in"
  ami_id                = var.stand_in.ami_id
  instance_type         = var.stand_in.instance_type
  instance_profile_name = module.stack.gpu_instance_profile_name
  gpu_tag               = local.gpu_tag
}

module "stack" {
  source = "../.."

  name_prefix = var.name_prefix
  gpu = merge(local.gpu, {
    instance_id = local.fleet ? null : module.gpu_stand_in[0].instance_id
    ami_id      = local.fleet ? var.stand_in.ami_id : null
    subnet_id   = local.fleet ? sort(data.aws_subnets.default[0].ids)[0] : null
  })
  fleet  = { max_size = var.fleet_max_size }
  power  = local.power
  lambda = local.lambda
  api    = { http_api_enabled = var.api_http_api_enabled }
  table  = { deletion_protection = false }
  # No host installs a build here: local/gpu_host runs the services in place.
  build = { enabled = false }
  # The emulator serves plain http, which the TLS-only bucket policy would refuse.
  results = { force_destroy = true, deny_insecure_transport = false }
  names   = { results_bucket = "gpu-orchestrator-results" }
  # Receivers on this machine (http://127.0.0.1:<port>) may take webhooks here, never on AWS. moto
  # cannot run the webhook Lambda: local/webhook_stream.py reads the task table's stream for it.
  webhooks = { allow_loopback = true, stream_mapping = false }
  # moto's server does not keep a queue's RedriveAllowPolicy, for which the provider would wait.
  queue = local.queue
  # The emulator cannot run the function: `make up` feeds it from the master queue in process.
  distributor = { event_source_enabled = false }

  remote_pools = { for pool in module.second_pool : pool.region => pool }
}

module "second_stand_in" {
  source    = "./stand_in"
  count     = var.distributor_enabled ? 1 : 0
  providers = { aws = aws.second_region }

  name                  = "${var.name_prefix}gpu-comfyui-stand-in-${var.second_region}"
  ami_id                = var.stand_in.ami_id
  instance_type         = var.stand_in.instance_type
  instance_profile_name = module.second_pool[0].gpu_instance_profile_name
  gpu_tag               = local.gpu_tag
}

module "second_pool" {
  source    = "../../modules/gpu_pool"
  count     = var.distributor_enabled ? 1 : 0
  providers = { aws = aws.second_region }

  name_prefix = var.name_prefix
  gpu         = merge(local.gpu, { instance_id = module.second_stand_in[0].instance_id })
  power       = local.power
  lambda      = local.lambda
  queue       = local.queue

  task_table     = module.stack.pool_inputs.task_table
  results_bucket = module.stack.pool_inputs.results_bucket
}
