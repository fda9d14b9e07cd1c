# The orchestrator API as a Lambda: the same Flask app that gunicorn serves, behind apig-wsgi.
# Nothing runs (or is paid for) between requests.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of operational logs is cost without use

  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes it synchronously; a DLQ applies only to asynchronous invocations
  #checkov:skip=CKV_AWS_117:It calls only AWS APIs; a VPC would need NAT or endpoints that cost more than they protect
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secrets
  #checkov:skip=CKV_AWS_272:Packages are built from this repository by its own pipeline; there is no signing profile to check

  function_name    = var.function_name
  description      = "Orchestrator API (Flask through apig-wsgi): submit jobs and read their status."
  role             = var.role_arn
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this]
}
