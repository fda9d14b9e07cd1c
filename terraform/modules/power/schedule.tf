# The periodic re-check: the alarm fires only on a state change, so without this an instance
# started after a shutdown could run for days while the alarm sits in ALARM.

resource "aws_cloudwatch_event_rule" "recheck" {
  name                = var.schedule_name
  description         = "Re-check whether the GPU instance is idle (or must be woken)."
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "recheck" {
  rule      = aws_cloudwatch_event_rule.recheck.name
  target_id = "power-lambda"
  arn       = module.function.function_arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowInvokeFromRecheckSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.recheck.arn
}
