resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs hold message ids and regions, no secrets; CloudWatch encrypts them at rest by default
  #checkov:skip=CKV_AWS_338:Retention is a variable; a year of operational logs is cost without use
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}
