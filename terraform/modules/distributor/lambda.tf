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

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Failed records return to the master queue, whose redrive to its DLQ is the dead-letter path
  #checkov:skip=CKV_AWS_117:It calls only AWS APIs; a VPC would need NAT or endpoints that cost more than they protect
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secrets
  #checkov:skip=CKV_AWS_272:Packages are built from this repository by its own pipeline; there is no signing profile to check
  #checkov:skip=CKV_AWS_50:Structured logs and EMF metrics trace each batch; X-Ray would add cost per message
  function_name    = var.function_name
  description      = "Forwards master-queue jobs to the least loaded regional queues, once each."
  role             = aws_iam_role.this.arn
  runtime          = var.runtime
  handler          = "services.distributor_lambda.handler.lambda_handler"
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = var.timeout_seconds
  memory_size      = var.memory_size

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.logs,
  ]
}

resource "aws_lambda_event_source_mapping" "master" {
  event_source_arn                   = aws_sqs_queue.master.arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  # No more pollers than reserved executions, so batches are not throttled into the DLQ.
  scaling_config {
    maximum_concurrency = var.reserved_concurrency
  }

  depends_on = [aws_iam_role_policy.consume_master]
}
