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
    shutdown_function    = "${local.prefix}${var.shutdown_function_name}"
  }

  input_bucket_arns = [for name in var.input_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${name}"]
}

module "task_queue" {
  source = "./modules/task_queue"

  name                       = local.names.task_queue
  dlq_name                   = local.names.task_dlq
  visibility_timeout_seconds = var.task_queue_visibility_timeout_seconds
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
}

module "iam" {
  source = "./modules/iam"

  api_role_name             = local.names.api_role
  gpu_instance_role_name    = local.names.gpu_instance_role
  gpu_instance_profile_name = local.names.gpu_instance_profile
  shutdown_role_name        = local.names.shutdown_role
  api_trusted_services      = var.api_trusted_services

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
