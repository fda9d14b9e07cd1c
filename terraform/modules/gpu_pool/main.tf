# One GPU pool: a region's task queue and its dead-letter queue, the role of the worker on the pool's
# GPU instance, the tag on that instance, and the power Lambda that stops it when idle and starts it
# when work waits (and drains the pool's dead letters). The stack's own region is a pool like any
# other; with the distributor, pools in other regions are more calls of this module, each with the
# provider of its region (`providers = { aws = aws.<region> }`). Every pool shares the stack's task
# table and results bucket: a task's state changes stay conditional writes on one table, which a
# replica of a global table could not guarantee.

data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  region = data.aws_region.current.name
  # Regional names carry the region (so pools never collide); IAM names are global, so they do too.
  suffix = replace(local.region, "-", "_")

  queue_name = coalesce(var.names.queue, "${var.name_prefix}gpu_tasks_queue_${local.suffix}")
  names = {
    queue            = local.queue_name
    dlq              = coalesce(var.names.dlq, "${local.queue_name}_dlq")
    worker_role      = coalesce(var.names.worker_role, "${var.name_prefix}gpu-instance-role-${local.region}")
    instance_profile = coalesce(var.names.instance_profile, "${var.name_prefix}gpu-instance-profile-${local.region}")
    power_role       = coalesce(var.names.power_role, "${var.name_prefix}lambda-gpu-shutdown-role-${local.region}")
    power_function   = coalesce(var.names.power_function, "${var.name_prefix}shutdown-gpu-lambda-${local.region}")
    power_topic      = coalesce(var.names.power_topic, "${var.name_prefix}gpu-idle-alarm-${local.region}")
    power_alarm      = coalesce(var.names.power_alarm, "${var.name_prefix}gpu-idle-alarm-${local.region}")
    power_schedule   = coalesce(var.names.power_schedule, "${var.name_prefix}gpu-power-recheck-${local.region}")
    fleet_group      = coalesce(var.names.fleet_group, "${var.name_prefix}gpu-fleet-${local.region}")
  }

  # The stack's key encrypts the results bucket, and this pool's queues when the pool is in the stack's
  # region (a key serves its own region only).
  kms_key_arn       = var.results_bucket.kms_key_arn
  queue_kms_key_arn = local.region == var.task_table.region ? local.kms_key_arn : null

  # The host's own resources; SSM names are per region already, the rest carry the region.
  host_names = {
    instance           = "${var.name_prefix}gpu-comfyui-${local.region}"
    launch_template    = "${var.name_prefix}gpu-host-${local.region}"
    security_group     = "${var.name_prefix}gpu-host-${local.region}"
    log_group          = "/${var.name_prefix}gpu-orchestrator/gpu-host"
    settings_parameter = "/${var.name_prefix}gpu-orchestrator/worker-environment"
    build_parameter    = "/${var.name_prefix}gpu-orchestrator/build"
    agent_parameter    = "/${var.name_prefix}gpu-orchestrator/cloudwatch-agent"
    setup_document     = "${var.name_prefix}gpu-orchestrator-host-setup"
  }

  # Behind the distributor a pool's queue is a regional queue (3600 s visibility), and the
  # re-check is what starts a stopped instance, so it runs every minute; so it does for a fleet,
  # whose scale-out it decides.
  visibility_timeout  = coalesce(var.queue.visibility_timeout_seconds, var.distributed ? 3600 : 300)
  schedule_expression = coalesce(var.power.schedule_expression, var.distributed || var.fleet.max_size > 1 ? "rate(1 minute)" : "rate(5 minutes)")
  pool                = var.distributed ? { GPU_POOL = local.region } : {}

  gpu_instance_arn = module.host.instance_arn
  # The preferred type first, then the fallbacks the power logic tries when AWS has no capacity.
  instance_types = length(var.gpu.fallback_instance_types) == 0 ? {} : {
    GPU_INSTANCE_TYPES = join(",", concat([var.gpu.instance_type], var.gpu.fallback_instance_types))
  }

  # What this pool's worker and power Lambda read (gpujobs/settings.py), named for each.
  worker_environment = merge(
    {
      AWS_REGION                   = local.region
      SQS_QUEUE_URL                = module.queue.queue_url
      DYNAMODB_TABLE               = var.task_table.name
      DYNAMODB_REGION              = var.task_table.region
      RESULTS_BUCKET               = var.results_bucket.name
      VISIBILITY_TIMEOUT_S         = tostring(local.visibility_timeout)
      JOB_TIMEOUT_S                = tostring(var.gpu.job_timeout_minutes * 60)
      POWERTOOLS_SERVICE_NAME      = "worker"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    },
    local.pool,
    local.fleet_worker_environment,
  )

  # The power run also owns the pool's dead-letter queue (and the master DLQ, when given): it runs
  # while the GPU sleeps, where no worker can fail their tasks.
  power_environment = merge(
    {
      SQS_QUEUE_URL                = module.queue.queue_url
      SQS_DLQ_URL                  = module.queue.dlq_url
      DYNAMODB_TABLE               = var.task_table.name
      DYNAMODB_REGION              = var.task_table.region
      IDLE_MINUTES                 = tostring(var.power.idle_minutes)
      JOB_TIMEOUT_MINUTES          = tostring(var.gpu.job_timeout_minutes)
      GPU_TAG_KEY                  = var.gpu.tag_key
      GPU_TAG_VALUE                = var.gpu.tag_value
      POWERTOOLS_SERVICE_NAME      = "power"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    },
    local.pool,
    local.instance_types,
    local.fleet_power_environment,
    var.master_dlq == null ? {} : { MASTER_DLQ_URL = var.master_dlq.url },
    var.master_queue == null ? {} : { MASTER_QUEUE_URL = var.master_queue.url },
    length(var.peer_queues) == 0 ? {} : { PEER_QUEUES = jsonencode({ for pool, q in var.peer_queues : pool => q.queue_url }) },
    var.power.environment,
  )
}

module "queue" {
  source = "../task_queue"

  name                       = local.names.queue
  dlq_name                   = local.names.dlq
  visibility_timeout_seconds = local.visibility_timeout
  receive_wait_time_seconds  = var.queue.receive_wait_time_seconds
  message_retention_seconds  = var.queue.message_retention_seconds
  max_receive_count          = var.queue.max_receive_count
  kms_master_key_id          = local.queue_kms_key_arn
  restrict_dlq_sources       = var.queue.restrict_dlq_sources

  tags = var.tags
}

# The pool's GPU instance, adopted or created, and what sets it up (modules/gpu_host).
module "host" {
  source = "../gpu_host"

  names           = local.host_names
  instance_id     = var.gpu.instance_id
  create_instance = !local.fleet
  launch = var.gpu.ami_id == null ? null : {
    ami_id              = var.gpu.ami_id
    subnet_id           = var.gpu.subnet_id
    instance_type       = var.gpu.instance_type
    root_volume_size_gb = var.gpu.root_volume_size_gb
    volume_kms_key_arn  = var.gpu.volume_kms_key_arn
    security_group_ids  = var.gpu.security_group_ids
  }
  vpc_endpoints         = var.gpu.vpc_endpoints
  network_ready         = var.network_ready
  instance_profile_name = aws_iam_instance_profile.worker.name
  role_name             = aws_iam_role.worker.name
  gpu_tag               = { key = var.gpu.tag_key, value = var.gpu.tag_value }

  settings = local.worker_environment
  build    = var.build
  software = {
    comfyui_repository = var.host.comfyui_repository
    comfyui_ref        = var.host.comfyui_ref
    comfyui_commit     = var.host.comfyui_commit
    models_s3_uri      = var.host.models_s3_uri
    pip_index_url      = var.host.pip_index_url
    run_user           = var.host.run_user
  }
  log_retention_days    = var.host.log_retention_days
  gpu_metrics_namespace = "${var.metrics_namespace}/Host"

  tags = var.tags
}

# An adopted instance exists already; only the tag that start and stop require is put on it, when
# asked (a created one carries it from its launch template).
resource "aws_ec2_tag" "gpu" {
  for_each = var.gpu.manage_tag && var.gpu.ami_id == null ? { (var.gpu.tag_key) = var.gpu.tag_value } : {}

  resource_id = var.gpu.instance_id
  key         = each.key
  value       = each.value
}

module "power" {
  source = "../power"

  function_name        = local.names.power_function
  role_name            = local.names.power_role
  packages_dir         = var.lambda.packages_dir
  runtime              = var.lambda.runtime
  tracing_mode         = var.lambda.tracing_mode
  log_retention_days   = var.lambda.log_retention_days
  reserved_concurrency = var.power.reserved_concurrency
  environment          = local.power_environment

  gpu_instance_arn     = local.gpu_instance_arn
  change_instance_type = length(var.gpu.fallback_instance_types) > 0
  gpu_tag_key          = var.gpu.tag_key
  gpu_tag_value        = var.gpu.tag_value
  task_queue_arn       = module.queue.queue_arn
  master_queue_arn     = var.master_queue == null ? null : var.master_queue.arn
  peer_queue_arns      = [for pool in sort(keys(var.peer_queues)) : var.peer_queues[pool].queue_arn]
  dlq_arns             = concat([module.queue.dlq_arn], var.master_dlq == null ? [] : [var.master_dlq.arn])
  task_table_arn       = var.task_table.arn
  status_index_arn     = var.task_table.status_index_arn
  task_table_kms_key   = var.task_table.kms_key_arn
  kms_key_arn          = local.queue_kms_key_arn

  topic_name               = local.names.power_topic
  topic_kms_key_arn        = var.power.topic_kms_key_arn
  alarm_name               = local.names.power_alarm
  queue_name               = module.queue.queue_name
  alarm_period_seconds     = var.power.alarm_period_seconds
  alarm_evaluation_periods = var.power.alarm_evaluation_periods

  schedule_name       = local.names.power_schedule
  schedule_expression = local.schedule_expression
  schedule_enabled    = var.power.schedule_enabled

  alarm_actions = var.alarm_actions

  tags = var.tags
}
