# The whole system: each module has one purpose; this file only wires them together.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  prefix = var.name_prefix

  names = {
    task_queue           = "${local.prefix}${var.task_queue_name}"
    task_dlq             = "${local.prefix}${var.task_queue_name}_dlq"
    task_table           = "${local.prefix}${var.task_table_name}"
    results_bucket       = "${local.prefix}${coalesce(var.results_bucket_name, "gpu-orchestrator-results-${data.aws_caller_identity.current.account_id}")}"
    api_role             = "${local.prefix}${var.api_role_name}"
    gpu_instance_role    = "${local.prefix}${var.gpu_instance_role_name}"
    gpu_instance_profile = "${local.prefix}${var.gpu_instance_profile_name}"
    shutdown_role        = "${local.prefix}${var.shutdown_role_name}"
    api_function         = "${local.prefix}${var.api_function_name}"
    api                  = "${local.prefix}${var.api_name}"
    shutdown_function    = "${local.prefix}${var.shutdown_function_name}"
    shutdown_topic       = "${local.prefix}${var.shutdown_topic_name}"
    shutdown_alarm       = "${local.prefix}${var.shutdown_alarm_name}"
    power_schedule       = "${local.prefix}gpu-power-recheck"
    dashboard            = "${local.prefix}${var.dashboard_name}"
    master_queue         = "${local.prefix}distributor_master_queue"
    master_dlq           = "${local.prefix}distributor_master_queue_dlq"
    distributor_table    = "${local.prefix}distributor_idempotency"
    distributor_function = "${local.prefix}distributor-lambda"
    distributor_role     = "${local.prefix}lambda-distributor-role"
  }

  # With the distributor, this region is one GPU pool among others: the API sends to the master
  # queue and wakes no instance (the job may run in any region; each pool's power logic starts its
  # own instance when its queue has work), and this pool's worker stamps its region on its tasks.
  distributor = one(module.distributor[*])
  submit_queue = local.distributor == null ? {
    url = module.task_queue.queue_url, dlq_url = module.task_queue.dlq_url, arn = module.task_queue.queue_arn
    } : {
    url = local.distributor.master_queue_url, dlq_url = local.distributor.master_dlq_url, arn = local.distributor.master_queue_arn
  }
  pool = var.distributor_enabled ? var.aws_region : null
  pool_queues = merge(var.distributor_remote_queues, {
    (var.aws_region) = { queue_url = module.task_queue.queue_url, queue_arn = module.task_queue.queue_arn }
  })
  task_queue_visibility = coalesce(var.task_queue_visibility_timeout_seconds, var.distributor_enabled ? 3600 : 300)
  power_schedule        = coalesce(var.power_schedule_expression, var.distributor_enabled ? "rate(1 minute)" : "rate(5 minutes)")

  packages_dir = coalesce(var.lambda_packages_dir, "${path.module}/../build/lambda")

  # What each service reads, named for its consumer (gpujobs/settings.py reads `<service>_environment`
  # from the outputs file; a Lambda gets the same map as its environment). AWS_REGION is set by Lambda
  # itself and may not be set there.
  api_environment = merge(
    {
      SQS_QUEUE_URL                = local.submit_queue.url
      DYNAMODB_TABLE               = module.task_table.table_name
      RESULTS_BUCKET               = module.results_bucket.bucket_name
      POWERTOOLS_SERVICE_NAME      = "api"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    },
    # With the distributor the job may run in any region, so a submit wakes no instance.
    var.distributor_enabled ? {} : { GPU_INSTANCE_ID = var.gpu_instance_id },
    var.api_environment,
  )

  worker_environment = merge(
    {
      AWS_REGION                   = var.aws_region
      SQS_QUEUE_URL                = module.task_queue.queue_url
      DYNAMODB_TABLE               = module.task_table.table_name
      DYNAMODB_REGION              = var.aws_region
      RESULTS_BUCKET               = module.results_bucket.bucket_name
      VISIBILITY_TIMEOUT_S         = tostring(local.task_queue_visibility)
      JOB_TIMEOUT_S                = tostring(var.job_timeout_minutes * 60)
      POWERTOOLS_SERVICE_NAME      = "worker"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    },
    local.pool == null ? {} : { GPU_POOL = local.pool },
  )

  # The power run also owns the dead-letter queues of its pool (and, with the distributor, the master
  # queue's): it runs while the GPU sleeps, where no worker can fail their tasks.
  power_environment = merge(
    {
      SQS_QUEUE_URL                = module.task_queue.queue_url
      SQS_DLQ_URL                  = module.task_queue.dlq_url
      DYNAMODB_TABLE               = module.task_table.table_name
      DYNAMODB_REGION              = var.aws_region
      GPU_INSTANCE_ID              = var.gpu_instance_id
      IDLE_MINUTES                 = tostring(var.idle_minutes)
      JOB_TIMEOUT_MINUTES          = tostring(var.job_timeout_minutes)
      GPU_TAG_KEY                  = var.gpu_tag_key
      GPU_TAG_VALUE                = var.gpu_tag_value
      POWERTOOLS_SERVICE_NAME      = "power"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    },
    local.pool == null ? {} : { GPU_POOL = local.pool },
    local.distributor == null ? {} : { MASTER_DLQ_URL = local.distributor.master_dlq_url },
    var.shutdown_environment,
  )

  input_bucket_arns = [for name in var.input_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${name}"]
}

module "task_queue" {
  source = "./modules/task_queue"

  name                       = local.names.task_queue
  dlq_name                   = local.names.task_dlq
  visibility_timeout_seconds = local.task_queue_visibility
  receive_wait_time_seconds  = var.task_queue_receive_wait_time_seconds
  message_retention_seconds  = var.task_queue_message_retention_seconds
  max_receive_count          = var.task_queue_max_receive_count
}

module "task_table" {
  source = "./modules/task_table"

  name                   = local.names.task_table
  deletion_protection    = var.task_table_deletion_protection
  point_in_time_recovery = var.task_table_point_in_time_recovery
}

module "results_bucket" {
  source = "./modules/results_bucket"

  name                  = local.names.results_bucket
  result_retention_days = var.result_retention_days
  force_destroy         = var.results_bucket_force_destroy

  deny_insecure_transport = var.results_bucket_deny_insecure_transport
}

module "iam" {
  source = "./modules/iam"

  api_role_name             = local.names.api_role
  gpu_instance_role_name    = local.names.gpu_instance_role
  gpu_instance_profile_name = local.names.gpu_instance_profile
  shutdown_role_name        = local.names.shutdown_role
  api_trusted_services      = var.api_trusted_services
  api_queue_arn             = local.submit_queue.arn

  task_queue_arn     = module.task_queue.queue_arn
  task_table_arn     = module.task_table.table_arn
  status_index_arn   = module.task_table.status_index_arn
  results_bucket_arn = module.results_bucket.bucket_arn
  input_bucket_arns  = local.input_bucket_arns

  gpu_instance_ids = [var.gpu_instance_id]
  gpu_tag_key      = var.gpu_tag_key
  gpu_tag_value    = var.gpu_tag_value

  api_log_group_name      = "/aws/lambda/${local.names.api_function}"
  shutdown_log_group_name = "/aws/lambda/${local.names.shutdown_function}"
}

module "worker_instance" {
  source = "./modules/worker_instance"

  instance_id = var.gpu_instance_id
  manage_tags = var.manage_gpu_instance_tag
  tags        = { (var.gpu_tag_key) = var.gpu_tag_value }
}

module "power" {
  source = "./modules/power"

  function_name        = local.names.shutdown_function
  role_arn             = module.iam.shutdown_role_arn
  package_path         = "${local.packages_dir}/shutdown.zip"
  runtime              = var.lambda_runtime
  tracing_mode         = var.lambda_tracing_mode
  reserved_concurrency = var.shutdown_reserved_concurrency
  environment          = local.power_environment
  log_retention_days   = var.log_retention_days

  topic_name               = local.names.shutdown_topic
  topic_kms_key_arn        = var.shutdown_topic_kms_key_arn
  alarm_name               = local.names.shutdown_alarm
  queue_name               = module.task_queue.queue_name
  alarm_period_seconds     = var.alarm_period_seconds
  alarm_evaluation_periods = var.alarm_evaluation_periods

  schedule_name       = local.names.power_schedule
  schedule_expression = local.power_schedule
  schedule_enabled    = var.power_schedule_enabled
}

module "api" {
  source = "./modules/api"

  function_name        = local.names.api_function
  api_name             = local.names.api
  role_arn             = module.iam.api_role_arn
  package_path         = "${local.packages_dir}/api.zip"
  runtime              = var.lambda_runtime
  tracing_mode         = var.lambda_tracing_mode
  memory_size          = var.api_memory_size
  timeout              = var.api_timeout
  reserved_concurrency = var.api_reserved_concurrency
  environment          = local.api_environment
  log_retention_days   = var.log_retention_days

  http_api_enabled       = var.api_http_api_enabled
  throttling_rate_limit  = var.api_throttling_rate_limit
  throttling_burst_limit = var.api_throttling_burst_limit
  domain_name            = var.api_domain_name
  certificate_arn        = var.api_certificate_arn
}

module "dashboard" {
  source = "./modules/dashboard"

  name                 = local.names.dashboard
  queue_name           = module.task_queue.queue_name
  dlq_name             = module.task_queue.dlq_name
  gpu_instance_id      = var.gpu_instance_id
  power_log_group_name = module.power.log_group_name
  metrics_namespace    = var.metrics_namespace
}

module "distributor" {
  source = "./modules/distributor"
  count  = var.distributor_enabled ? 1 : 0

  package_path           = "${local.packages_dir}/distributor.zip"
  master_queue_name      = local.names.master_queue
  master_dlq_name        = local.names.master_dlq
  idempotency_table_name = local.names.distributor_table
  function_name          = local.names.distributor_function
  role_name              = local.names.distributor_role
  runtime                = var.lambda_runtime
  reserved_concurrency   = var.distributor_reserved_concurrency
  overload_threshold     = var.distributor_overload_threshold
  point_in_time_recovery = var.task_table_point_in_time_recovery
  log_retention_days     = var.log_retention_days
  metrics_namespace      = var.metrics_namespace

  regional_queues = local.pool_queues
}
