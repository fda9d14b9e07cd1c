# The distributor function and the event source mapping that feeds it master-queue batches.
# ReportBatchItemFailures makes only the failed messages of a batch come back.

locals {
  environment = merge({
    REGION_QUEUES                = jsonencode({ for region, queue in var.regional_queues : region => queue.queue_url })
    MASTER_DLQ_URL               = aws_sqs_queue.master_dlq.url
    IDEMPOTENCY_TABLE            = aws_dynamodb_table.idempotency.name
    IDEMPOTENCY_TTL_S            = tostring(var.idempotency_ttl_seconds)
    OVERLOAD_THRESHOLD           = tostring(var.overload_threshold)
    DEPTH_CACHE_TTL_S            = tostring(var.depth_cache_ttl_seconds)
    POWERTOOLS_SERVICE_NAME      = "distributor"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }, var.environment)
}

module "function" {
  source = "../lambda"

  name                 = var.function_name
  description          = "Forwards master-queue jobs to the least loaded regional queues, once each."
  package              = "distributor"
  packages_dir         = var.packages_dir
  handler              = "services.distributor_lambda.handler.lambda_handler"
  runtime              = var.runtime
  memory_size          = var.memory_size
  timeout              = var.timeout_seconds
  reserved_concurrency = var.reserved_concurrency
  tracing_mode         = var.tracing_mode
  log_retention_days   = var.log_retention_days
  environment          = local.environment

  role_name        = var.role_name
  role_description = "Distributor Lambda: master queue in, regional queues out, idempotency records."
  policies = {
    "master-queue-consume" = data.aws_iam_policy_document.consume_master.json
    "regional-queues-send" = data.aws_iam_policy_document.forward.json
    "idempotency-records"  = data.aws_iam_policy_document.idempotency.json
  }

  error_alarm = { actions = var.alarm_actions }

  tags = var.tags
}

resource "aws_lambda_event_source_mapping" "master" {
  event_source_arn                   = aws_sqs_queue.master.arn
  function_name                      = module.function.function_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  enabled                            = var.event_source_enabled

  # No more pollers than reserved executions, so batches are not throttled into the DLQ.
  scaling_config {
    maximum_concurrency = var.reserved_concurrency
  }

  # The role may consume the master queue before the mapping starts polling it.
  depends_on = [module.function]
}
