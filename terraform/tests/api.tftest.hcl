# The API: every route of SPEC section 3 plus $default goes to the one Lambda integration, and the
# gateway can be left out (only the gateway) on an emulator that lacks API Gateway v2.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu_instance_id     = "i-0f0f6fd680921de5f"
  lambda_packages_dir = "./tests/packages"
}

run "routes_cover_the_spec_and_default" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    function_name = "gpu-orchestrator-api"
    api_name      = "gpu-orchestrator-api"
    role_arn      = "arn:aws:iam::123456789012:role/gpu-orchestrator-task-role"
    package_path  = "./tests/packages/api.zip"
    environment   = { SQS_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" }
  }

  assert {
    condition = jsonencode(sort(keys(aws_apigatewayv2_route.this))) == jsonencode(sort([
      "$default",
      "GET /api/v1/camera-angle/jobs/{job_id}",
      "GET /api/v1/jobs/{job_id}",
      "GET /api/v1/qwen-image-edit/jobs/{job_id}",
      "GET /health",
      "POST /api/v1/camera-angle/jobs",
      "POST /api/v1/qwen-image-edit/jobs",
    ]))
    error_message = "The HTTP API must route every SPEC endpoint and $default to the Lambda."
  }

  assert {
    condition     = aws_apigatewayv2_integration.lambda[0].integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.lambda[0].payload_format_version == "2.0"
    error_message = "The integration must be a Lambda proxy with payload format 2.0 (what apig-wsgi reads)."
  }

  assert {
    condition     = aws_lambda_function.this.handler == "services.api.lambda_handler.lambda_handler" && aws_lambda_function.this.runtime == "python3.11"
    error_message = "The API Lambda must run the Flask app's handler on python3.11."
  }
}

run "gateway_can_be_left_out_for_an_emulator" {
  command = plan

  variables {
    api_http_api_enabled = false
  }

  assert {
    condition     = output.api_id == null && output.api_endpoint_url == null
    error_message = "Without the HTTP API there is no API id or endpoint."
  }

  assert {
    condition     = output.api_function_name == "gpu-orchestrator-api"
    error_message = "The API Lambda itself must remain."
  }
}
