# The webhook delivery: the key that encrypts the tenants' webhook secrets, the function that signs
# and posts each job's events, and the mapping that feeds it the task table's stream.

locals {
  environment = merge({
    API_KEYS_TABLE               = var.api_key_table_name
    WEBHOOK_SECRET_KEY_ARN       = aws_kms_key.secrets.arn
    WEBHOOK_ALLOW_LOOPBACK       = tostring(var.allow_loopback)
    WEBHOOK_ATTEMPTS             = tostring(var.attempts)
    WEBHOOK_TIMEOUT_S            = tostring(var.receiver_timeout_seconds)
    WEBHOOK_MAX_EVENT_AGE_S      = tostring(var.maximum_event_age_seconds)
    POWERTOOLS_SERVICE_NAME      = "webhook"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  }, var.environment)
}

# Its own key, so the right to decrypt a webhook secret is not the right to read results or queues.
resource "aws_kms_key" "secrets" {
  description             = "Encrypts the tenants' webhook signing secrets (key table items webhook-secret#<tenant>)."
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json

  tags = var.tags
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.key_alias}"
  target_key_id = aws_kms_key.secrets.key_id
}

module "function" {
  source = "../lambda"

  name                 = var.function_name
  description          = "Signs each job's events (Standard Webhooks) and posts them to the job's webhook."
  package              = "webhook"
  packages_dir         = var.packages_dir
  handler              = "services.webhook_lambda.handler.lambda_handler"
  runtime              = var.runtime
  memory_size          = var.memory_size
  timeout              = var.timeout_seconds
  reserved_concurrency = var.reserved_concurrency
  tracing_mode         = var.tracing_mode
  log_retention_days   = var.log_retention_days
  environment          = local.environment

  role_name        = var.role_name
  role_description = "Webhook Lambda: task table stream in, tenants' secrets decrypted, signed POSTs out."
  policies = {
    "task-stream-read"     = data.aws_iam_policy_document.stream.json
    "webhook-secrets-read" = data.aws_iam_policy_document.secrets.json
  }

  error_alarm = { actions = var.alarm_actions }

  tags = var.tags
}

# A batch item failure hands the batch back from that record; bisecting splits a batch whose
# invocation failed outright; retries and record age bound how long one event can hold its shard.
resource "aws_lambda_event_source_mapping" "task_stream" {
  count = var.stream_mapping ? 1 : 0

  event_source_arn                   = var.task_table_stream_arn
  function_name                      = module.function.function_arn
  starting_position                  = "LATEST"
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_seconds
  parallelization_factor             = var.parallelization_factor

  # The role may read the stream before the mapping starts polling it.
  depends_on = [module.function]
}
