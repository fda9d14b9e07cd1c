# API Gateway HTTP API in front of the Lambda. The API's routes go to the Lambda, and
# so does $default, so that unknown paths get the app's own JSON 404/405 instead of the gateway's.
# `http_api_enabled = false` leaves out only the gateway, for emulators without API Gateway v2
# (LocalStack's free edition); on AWS it stays on.

locals {
  http_api   = var.http_api_enabled ? 1 : 0
  route_keys = var.http_api_enabled ? toset(concat(var.route_keys, ["$default"])) : toset([])
}

resource "aws_cloudwatch_log_group" "access" {
  count = local.http_api

  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of operational logs is cost without use

  name              = "/aws/apigateway/${var.api_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_apigatewayv2_api" "this" {
  count = local.http_api

  name          = var.api_name
  description   = "GPU job orchestrator API, version 1."
  protocol_type = "HTTP"

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  count = local.http_api

  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = module.function.invoke_arn
  integration_method     = "POST"
  payload_format_version = "2.0"
  timeout_milliseconds   = min(var.timeout * 1000, 30000)
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:The app authenticates callers itself (API keys) and answers 401 in its JSON error shape

  for_each = local.route_keys

  api_id    = aws_apigatewayv2_api.this[0].id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.lambda[0].id}"
  # The app authenticates callers itself (API keys, 401 in its JSON error shape).
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_stage" "this" {
  count = local.http_api

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTimeEpoch"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "api" {
  count = local.http_api

  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/*"
}
