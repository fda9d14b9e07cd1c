# A distributor in front of this region's pool alone, beside the single-region stack: its master queue,
# dead-letter queue, idempotency table, function and role, exactly as the multi-region mode makes them.
# Nothing sends to it but the integration tests, which feed it as the event source would
# (local/distributor_source.py) while signing as its role. Its outputs are this environment's own: the
# stack's distributor outputs stay null, as the API does not send through it.

module "home_distributor" {
  source = "../../modules/distributor"
  count  = var.home_distributor && !var.distributor_enabled ? 1 : 0

  packages_dir           = var.lambda_packages_dir
  master_queue_name      = "${var.name_prefix}home_distributor_master_queue"
  master_dlq_name        = "${var.name_prefix}home_distributor_master_queue_dlq"
  idempotency_table_name = "${var.name_prefix}home_distributor_idempotency"
  function_name          = "${var.name_prefix}home-distributor-lambda"
  role_name              = "${var.name_prefix}lambda-home-distributor-role"
  log_retention_days     = local.lambda.log_retention_days
  point_in_time_recovery = false
  reserved_concurrency   = 2
  restrict_dlq_sources   = local.queue.restrict_dlq_sources
  event_source_enabled   = false

  regional_queues = {
    (var.aws_region) = { queue_url = module.stack.task_queue_url, queue_arn = module.stack.task_queue_arn }
  }
}

output "home_distributor" {
  description = "The distributor beside the single-region stack (home_distributor): its role, master queue, and the environment its function reads; null when off."
  value = one([for distributor in module.home_distributor : {
    role_arn         = distributor.lambda_role_arn
    master_queue_url = distributor.master_queue_url
    master_dlq_url   = distributor.master_dlq_url
    environment      = distributor.lambda_environment
  }])
}
