# One GPU pool of the multi-region mode (SPEC section 6): a region's queue, the roles of its worker
# and power Lambda, the tag on its GPU instance and its power management. It is created by whichever
# provider the caller passes (`providers = { aws = aws.<region> }`), and shares the home region's
# task table and results bucket: every state change of a task stays a conditional write on one
# table, which a replica of a global table could not guarantee.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  # Names of regional resources carry the region so pools never collide; IAM names are global.
  suffix = replace(local.region, "-", "_")

  names = {
    queue                = "${var.name_prefix}gpu_tasks_queue_${local.suffix}"
    gpu_instance_role    = "${var.name_prefix}gpu-instance-role-${local.region}"
    gpu_instance_profile = "${var.name_prefix}gpu-instance-profile-${local.region}"
    shutdown_role        = "${var.name_prefix}lambda-gpu-shutdown-role-${local.region}"
    shutdown_function    = "${var.name_prefix}shutdown-gpu-lambda-${local.region}"
    shutdown_topic       = "${var.name_prefix}gpu-idle-alarm-${local.region}"
    shutdown_alarm       = "${var.name_prefix}gpu-idle-alarm-${local.region}"
    power_schedule       = "${var.name_prefix}gpu-power-recheck-${local.region}"
  }

  # What this pool's worker and power Lambda read (gpujobs/settings.py), named for each: their own
  # queue, the home table in its region, and the pool name the worker stamps on the tasks it claims.
  worker_environment = {
    AWS_REGION                   = local.region
    SQS_QUEUE_URL                = module.queue.queue_url
    DYNAMODB_TABLE               = var.task_table_name
    DYNAMODB_REGION              = var.task_table_region
    GPU_POOL                     = local.region
    RESULTS_BUCKET               = var.results_bucket_name
    VISIBILITY_TIMEOUT_S         = tostring(var.queue_visibility_timeout_seconds)
    JOB_TIMEOUT_S                = tostring(var.job_timeout_minutes * 60)
    POWERTOOLS_SERVICE_NAME      = "worker"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  }

  power_environment = {
    SQS_QUEUE_URL                = module.queue.queue_url
    SQS_DLQ_URL                  = module.queue.dlq_url
    DYNAMODB_TABLE               = var.task_table_name
    DYNAMODB_REGION              = var.task_table_region
    GPU_INSTANCE_ID              = var.gpu_instance_id
    GPU_POOL                     = local.region
    IDLE_MINUTES                 = tostring(var.idle_minutes)
    JOB_TIMEOUT_MINUTES          = tostring(var.job_timeout_minutes)
    GPU_TAG_KEY                  = var.gpu_tag_key
    GPU_TAG_VALUE                = var.gpu_tag_value
    POWERTOOLS_SERVICE_NAME      = "power"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  }
}

module "queue" {
  source = "../distributor/regional_queue"

  name                       = local.names.queue
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  max_receive_count          = var.queue_max_receive_count

  tags = var.tags
}

module "iam" {
  source = "../iam"

  api_role_enabled          = false
  gpu_instance_role_name    = local.names.gpu_instance_role
  gpu_instance_profile_name = local.names.gpu_instance_profile
  shutdown_role_name        = local.names.shutdown_role

  task_queue_arn     = module.queue.queue_arn
  task_table_arn     = var.task_table_arn
  status_index_arn   = var.status_index_arn
  results_bucket_arn = var.results_bucket_arn
  input_bucket_arns  = var.input_bucket_arns

  gpu_instance_ids = [var.gpu_instance_id]
  gpu_tag_key      = var.gpu_tag_key
  gpu_tag_value    = var.gpu_tag_value

  shutdown_log_group_name = "/aws/lambda/${local.names.shutdown_function}"

  tags = var.tags
}

module "worker_instance" {
  source = "../worker_instance"

  instance_id = var.gpu_instance_id
  manage_tags = var.manage_gpu_instance_tag
  tags        = { (var.gpu_tag_key) = var.gpu_tag_value }
}

module "power" {
  source = "../power"

  function_name        = local.names.shutdown_function
  role_arn             = module.iam.shutdown_role_arn
  package_path         = var.package_path
  runtime              = var.lambda_runtime
  tracing_mode         = var.lambda_tracing_mode
  reserved_concurrency = var.shutdown_reserved_concurrency
  log_retention_days   = var.log_retention_days
  environment          = local.power_environment

  topic_name               = local.names.shutdown_topic
  topic_kms_key_arn        = var.shutdown_topic_kms_key_arn
  alarm_name               = local.names.shutdown_alarm
  queue_name               = module.queue.queue_name
  alarm_period_seconds     = var.alarm_period_seconds
  alarm_evaluation_periods = var.alarm_evaluation_periods

  schedule_name       = local.names.power_schedule
  schedule_expression = var.power_schedule_expression
  schedule_enabled    = var.power_schedule_enabled

  tags = var.tags
}
