# The power Lambda (shutdown-gpu-lambda): stops the idle GPU instance and wakes it when work waits.
# It decides from live facts, so it is invoked both by the design's alarm (through SNS) and by a
# schedule that re-checks, because the alarm acts only when its state changes.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of operational logs is cost without use

  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Every invocation is an idempotent re-check and the schedule invokes it again within minutes
  #checkov:skip=CKV_AWS_117:It calls only AWS APIs; a VPC would need NAT or endpoints that cost more than they protect
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secrets
  #checkov:skip=CKV_AWS_272:Packages are built from this repository by its own pipeline; there is no signing profile to check

  function_name    = var.function_name
  description      = "Stops the idle GPU instance and starts it when work is waiting."
  role             = var.role_arn
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = var.timeout

  # One decision at a time: two concurrent runs could both decide to stop or to start.
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
