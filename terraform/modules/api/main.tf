# The orchestrator API as a Lambda: the same Flask app that gunicorn serves, behind apig-wsgi.
# Nothing runs (or is paid for) between requests.

module "function" {
  source = "../lambda"

  name                 = var.function_name
  description          = "Orchestrator API (Flask through apig-wsgi): submit jobs and read their status."
  package              = "api"
  packages_dir         = var.packages_dir
  handler              = var.handler
  runtime              = var.runtime
  memory_size          = var.memory_size
  timeout              = var.timeout
  reserved_concurrency = var.reserved_concurrency
  tracing_mode         = var.tracing_mode
  log_retention_days   = var.log_retention_days
  log_kms_key_arn      = var.log_kms_key_arn
  environment          = var.environment

  role_name        = var.role_name
  role_description = "Orchestrator API: enqueue jobs, write task rows, wake the tagged GPU instance or fleet."
  trusted_services = var.trusted_services
  policies = merge(
    {
      "task-queue-send"  = data.aws_iam_policy_document.queue.json
      "task-table-write" = data.aws_iam_policy_document.table.json
      # Named before it also allowed uploads and deleting results; renaming it would replace the policy.
      "results-read"  = data.aws_iam_policy_document.results.json
      "api-keys-read" = data.aws_iam_policy_document.keys.json
    },
    var.gpu_instance == null ? {} : { "gpu-instance-start" = data.aws_iam_policy_document.instance[0].json },
    var.gpu_fleet == null ? {} : { "gpu-fleet-wake" = data.aws_iam_policy_document.fleet[0].json },
  )

  error_alarm = { actions = var.alarm_actions }

  tags = var.tags
}
