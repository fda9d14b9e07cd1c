# The whole system in one region, and the distributor in front of the pools of other regions when
# there are some. Each module has one purpose; this file only wires them together. No provider is
# configured here: the environments (environments/*) do that, so this is a plain module that a
# caller can give its own provider, count, for_each or depends_on.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region      = data.aws_region.current.name
  distributed = length(var.remote_pools) > 0

  names = { for key, name in var.names : key => name == null ? null : "${var.name_prefix}${name}" }
  build = one(module.build_artifact[*].build)

  # This region's GPU instance, in the VPC made here when asked (and its endpoints, without NAT).
  network = one(module.network[*])
  gpu = local.network == null ? var.gpu : merge(var.gpu, {
    subnet_id = coalesce(var.gpu.subnet_id, local.network.private_subnet_id)
    vpc_endpoints = var.network.egress != "vpc_endpoints" ? var.gpu.vpc_endpoints : {
      subnet_ids      = [local.network.private_subnet_id]
      route_table_ids = [local.network.private_route_table_id]
      services        = ["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"]
    }
  })
  results_bucket_name = coalesce(
    local.names.results_bucket, "${var.name_prefix}gpu-orchestrator-results-${data.aws_caller_identity.current.account_id}",
  )

  # With the distributor the API sends to the master queue and wakes no instance: the job may run in
  # any pool, and each pool's power run starts its own instance when its queue has work.
  distributor = one(module.distributor[*])
  submit_queue = local.distributed ? {
    url = local.distributor.master_queue_url, arn = local.distributor.master_queue_arn
    } : {
    url = module.home_pool.queue_url, arn = module.home_pool.queue_arn
  }

  # What every pool takes from the stack (the pools of other regions through the pool_inputs output).
  pool_inputs = {
    task_table = {
      name             = module.task_table.table_name
      arn              = module.task_table.table_arn
      status_index_arn = module.task_table.status_index_arn
      region           = local.region
      kms_key_arn      = var.kms_key_arn
    }
    results_bucket = {
      name        = module.results_bucket.bucket_name
      arn         = module.results_bucket.bucket_arn
      kms_key_arn = var.kms_key_arn
    }
  }

  pool_queues = merge(var.remote_pools, {
    (local.region) = { queue_url = module.home_pool.queue_url, queue_arn = module.home_pool.queue_arn }
  })

  # What the API reads, named for it (gpujobs/settings.py reads `api_environment` from the outputs
  # file; the API Lambda gets the same map). AWS_REGION is Lambda's own and may not be set there.
  # The API starts the single instance on a submit, or sets a fleet's group from 0 to 1 instance
  # (the power run scales it further); the distributor's pools are started by their power runs.
  api_wakes_instance = !local.distributed && var.fleet.max_size == 1
  api_wakes_fleet    = !local.distributed && var.fleet.max_size > 1

  api_environment = merge(
    {
      SQS_QUEUE_URL                = local.submit_queue.url
      DYNAMODB_TABLE               = module.task_table.table_name
      API_KEYS_TABLE               = module.api_key_table.table_name
      RESULTS_BUCKET               = module.results_bucket.bucket_name
      POWERTOOLS_SERVICE_NAME      = "api"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      # The API checks at start that its AWS calls, each timed out in turn, end before this limit.
      API_LAMBDA_TIMEOUT_S = tostring(var.api.timeout)
      # A job's row lives as long as its results and uploads, which the bucket's lifecycle expires.
      TASK_RETENTION_S = tostring(var.results.retention_days * 86400)
      # Buckets a job may name s3:// inputs from, beside the tenant's own uploads: those the GPU may read.
      INPUT_BUCKETS = join(",", var.gpu.input_bucket_names)
    },
    local.api_wakes_instance ? { GPU_INSTANCE_ID = module.home_pool.gpu_instance_id } : {},
    var.webhooks.allow_loopback ? { WEBHOOK_ALLOW_LOOPBACK = "true" } : {},
    local.api_wakes_fleet ? { GPU_FLEET_GROUP = module.home_pool.fleet.group_name } : {},
    var.api.environment,
  )
}

module "task_table" {
  source = "./modules/task_table"

  name                   = local.names.task_table
  deletion_protection    = var.table.deletion_protection
  point_in_time_recovery = var.table.point_in_time_recovery
  kms_key_arn            = var.kms_key_arn
}

module "api_key_table" {
  source = "./modules/api_key_table"

  name                   = local.names.api_key_table
  deletion_protection    = var.table.deletion_protection
  point_in_time_recovery = var.table.point_in_time_recovery
}

module "results_bucket" {
  source = "./modules/results_bucket"

  name                    = local.results_bucket_name
  result_retention_days   = var.results.retention_days
  force_destroy           = var.results.force_destroy
  deny_insecure_transport = var.results.deny_insecure_transport
  kms_key_arn             = var.kms_key_arn
}

# The project's build for the GPU hosts (the wheel `make package` built), in its own bucket.
module "build_artifact" {
  source = "./modules/build_artifact"
  count  = var.build.enabled ? 1 : 0

  bucket_name             = "${var.name_prefix}gpu-orchestrator-builds-${data.aws_caller_identity.current.account_id}"
  wheel_dir               = var.build.wheel_dir
  deny_insecure_transport = var.results.deny_insecure_transport
  kms_key_arn             = var.kms_key_arn
}

module "network" {
  source = "./modules/network"
  count  = var.network.create_vpc ? 1 : 0

  name              = "${var.name_prefix}gpu-orchestrator"
  cidr_block        = var.network.cidr_block
  availability_zone = var.network.availability_zone
  egress            = var.network.egress
}

# This region's GPU pool: its queue, its worker's role, its power Lambda, with the default names.
module "home_pool" {
  source = "./modules/gpu_pool"

  gpu    = local.gpu
  host   = var.host
  queue  = var.queue
  power  = var.power
  lambda = var.lambda
  build  = local.build
  fleet  = var.fleet

  distributed       = local.distributed
  metrics_namespace = var.metrics_namespace
  name_prefix       = var.name_prefix
  names = {
    queue            = local.names.task_queue
    dlq              = "${local.names.task_queue}_dlq"
    worker_role      = local.names.gpu_instance_role
    instance_profile = local.names.gpu_instance_profile
    power_role       = local.names.power_role
    power_function   = local.names.power_function
    power_topic      = local.names.power_topic
    power_alarm      = local.names.power_alarm
    power_schedule   = local.names.power_schedule
  }

  alarm_actions  = [module.ops.topic_arn]
  network_ready  = try(coalesce(local.network.nat_gateway_id, local.network.private_route_table_id), null)
  task_table     = local.pool_inputs.task_table
  results_bucket = local.pool_inputs.results_bucket
  master_dlq     = local.distributed ? { url = local.distributor.master_dlq_url, arn = local.distributor.master_dlq_arn } : null
  master_queue   = local.distributed ? { url = local.distributor.master_queue_url, arn = local.distributor.master_queue_arn } : null
  peer_queues    = var.remote_pools
}

module "api" {
  source = "./modules/api"

  function_name        = local.names.api_function
  api_name             = local.names.api
  role_name            = local.names.api_role
  trusted_services     = var.api.trusted_services
  packages_dir         = var.lambda.packages_dir
  runtime              = var.lambda.runtime
  tracing_mode         = var.lambda.tracing_mode
  log_retention_days   = var.lambda.log_retention_days
  memory_size          = var.api.memory_size
  timeout              = var.api.timeout
  reserved_concurrency = var.api.reserved_concurrency
  environment          = local.api_environment

  submit_queue_arn   = local.submit_queue.arn
  task_table_arn     = module.task_table.table_arn
  status_index_arn   = module.task_table.status_index_arn
  tenant_index_arn   = module.task_table.tenant_index_arn
  waiting_index_arn  = module.task_table.waiting_index_arn
  api_key_table_arn  = module.api_key_table.table_arn
  results_bucket_arn = module.results_bucket.bucket_arn
  results_prefix     = module.results_bucket.results_prefix
  uploads_prefix     = module.results_bucket.uploads_prefix
  kms_key_arn        = var.kms_key_arn
  task_table_kms_key = var.kms_key_arn
  gpu_instance = !local.api_wakes_instance ? null : {
    arn       = module.home_pool.gpu_instance_arn
    tag_key   = var.gpu.tag_key
    tag_value = var.gpu.tag_value
  }
  gpu_fleet = !local.api_wakes_fleet ? null : {
    arn       = module.home_pool.fleet.group_arn
    tag_key   = var.gpu.tag_key
    tag_value = var.gpu.tag_value
  }

  alarm_actions = [module.ops.topic_arn]

  http_api_enabled       = var.api.http_api_enabled
  throttling_rate_limit  = var.api.throttling_rate_limit
  throttling_burst_limit = var.api.throttling_burst_limit
  domain_name            = var.api.domain_name
  certificate_arn        = var.api.certificate_arn
}

# Each job's events, signed with its tenant's secret, posted to its webhook from the task table's stream.
module "webhook" {
  source = "./modules/webhook"

  function_name        = local.names.webhook_function
  role_name            = local.names.webhook_role
  key_alias            = "${var.name_prefix}gpu-orchestrator-webhook-secrets"
  packages_dir         = var.lambda.packages_dir
  runtime              = var.lambda.runtime
  tracing_mode         = var.lambda.tracing_mode
  log_retention_days   = var.lambda.log_retention_days
  timeout_seconds      = var.webhooks.timeout
  reserved_concurrency = var.webhooks.reserved_concurrency
  metrics_namespace    = var.metrics_namespace

  task_table_stream_arn     = module.task_table.stream_arn
  api_key_table_name        = module.api_key_table.table_name
  api_key_table_arn         = module.api_key_table.table_arn
  attempts                  = var.webhooks.attempts
  receiver_timeout_seconds  = var.webhooks.receiver_timeout_seconds
  maximum_event_age_seconds = var.webhooks.maximum_event_age_seconds
  allow_loopback            = var.webhooks.allow_loopback
  stream_mapping            = var.webhooks.stream_mapping

  alarm_actions = [module.ops.topic_arn]
}

module "dashboard" {
  source = "./modules/dashboard"

  name                   = local.names.dashboard
  queue_name             = module.home_pool.queue_name
  dlq_name               = module.home_pool.dlq_name
  gpu_instance_id        = module.home_pool.gpu_instance_id
  gpu_fleet_group        = try(module.home_pool.fleet.group_name, null)
  power_log_group_name   = module.home_pool.shutdown_log_group_name
  host_log_group_name    = module.home_pool.host.log_group_name
  host_metrics_namespace = "${var.metrics_namespace}/Host"
  metrics_namespace      = var.metrics_namespace
}

module "distributor" {
  source = "./modules/distributor"
  count  = local.distributed ? 1 : 0

  packages_dir           = var.lambda.packages_dir
  master_queue_name      = "${var.name_prefix}distributor_master_queue"
  master_dlq_name        = "${var.name_prefix}distributor_master_queue_dlq"
  idempotency_table_name = "${var.name_prefix}distributor_idempotency"
  function_name          = "${var.name_prefix}distributor-lambda"
  role_name              = "${var.name_prefix}lambda-distributor-role"
  runtime                = var.lambda.runtime
  tracing_mode           = var.lambda.tracing_mode
  log_retention_days     = var.lambda.log_retention_days
  reserved_concurrency   = var.distributor.reserved_concurrency
  overload_threshold     = var.distributor.overload_threshold
  event_source_enabled   = var.distributor.event_source_enabled
  point_in_time_recovery = var.table.point_in_time_recovery
  metrics_namespace      = var.metrics_namespace

  alarm_actions   = [module.ops.topic_arn]
  regional_queues = local.pool_queues
  kms_key_arn     = var.kms_key_arn

  restrict_dlq_sources = var.queue.restrict_dlq_sources
}

# The ops topic every alarm notifies, and the alarms that are no pool's: the API, the distributor's
# dead letters, the budget.
module "ops" {
  source = "./modules/ops"

  topic_name              = "${var.name_prefix}gpu-orchestrator-ops"
  topic_kms_key_arn       = var.ops.topic_kms_key_arn
  emails                  = var.ops.emails
  name_prefix             = var.name_prefix
  api_id                  = var.api.http_api_enabled ? module.api.api_id : null
  api_id_known            = var.api.http_api_enabled
  api_5xx_threshold       = var.ops.api_5xx_threshold
  dead_letter_queue_names = local.distributed ? ["${var.name_prefix}distributor_master_queue_dlq"] : []
  monthly_budget_usd      = var.ops.monthly_budget_usd
}
