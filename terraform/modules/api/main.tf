# The orchestrator API as a Lambda: the same Flask app that gunicorn serves, behind apig-wsgi.
# Nothing runs (or is paid for) between requests.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
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
