# modules/lambda, which builds every function: the package and handler it is given, its own log
# group (and permission to write only there), X-Ray permission only with Active tracing, the
# caller's policies one by one, and an alarm on the function's errors.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/example-role"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/example"
    }
  }
}

variables {
  name         = "example"
  package      = "shutdown"
  packages_dir = "./tests/packages"
  handler      = "services.shutdown_lambda.handler.lambda_handler"
  role_name    = "example-role"
  policies     = { "queue-read" = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}

run "function_logs_role_and_alarm" {
  command = apply

  module {
    source = "./modules/lambda"
  }

  assert {
    condition     = aws_lambda_function.this.handler == var.handler && aws_lambda_function.this.runtime == "python3.11" && aws_lambda_function.this.filename == "./tests/packages/shutdown.zip"
    error_message = "The function runs the given handler from the named zip on python3.11."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/example" && jsonencode(one(data.aws_iam_policy_document.logs.statement).resources) == jsonencode(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/example:*"])
    error_message = "The function writes only to its own log group."
  }

  assert {
    condition     = length(aws_iam_role_policy.tracing) == 0 && aws_lambda_function.this.tracing_config[0].mode == "PassThrough"
    error_message = "PassThrough tracing needs no X-Ray permission."
  }

  assert {
    condition     = jsonencode(keys(aws_iam_role_policy.this)) == jsonencode(["queue-read"]) && aws_iam_role_policy.this["queue-read"].name == "queue-read"
    error_message = "Each of the caller's policies is one inline policy of the role, under its own name."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors.alarm_name == "example-errors" && aws_cloudwatch_metric_alarm.errors.metric_name == "Errors" && aws_cloudwatch_metric_alarm.errors.dimensions.FunctionName == "example" && aws_cloudwatch_metric_alarm.errors.threshold == 0
    error_message = "The error alarm watches the function's Errors and fires on the first one."
  }
}

run "active_tracing_may_send_traces" {
  command = plan

  module {
    source = "./modules/lambda"
  }

  variables {
    tracing_mode = "Active"
  }

  assert {
    condition     = length(aws_iam_role_policy.tracing) == 1 && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "Active tracing gives the role X-Ray's PutTraceSegments and PutTelemetryRecords."
  }
}
