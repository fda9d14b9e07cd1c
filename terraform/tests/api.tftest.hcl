# The API: every route plus $default goes to the one Lambda integration, and the gateway (only the
# gateway) can be left out on an emulator that lacks API Gateway v2.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "routes_cover_the_api_and_default" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    function_name      = "gpu-orchestrator-api"
    api_name           = "gpu-orchestrator-api"
    role_name          = "gpu-orchestrator-task-role"
    packages_dir       = "./tests/packages"
    environment        = { SQS_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" }
    submit_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    task_table_arn     = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
    status_index_arn   = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
    tenant_index_arn   = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/tenant-created_at-index"
    waiting_index_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/waiting_tenant-created_at-index"
    api_key_table_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/gpu-orchestrator-api-keys"
    results_bucket_arn = "arn:aws:s3:::gpu-orchestrator-results"
  }

  assert {
    condition = jsonencode(sort(keys(aws_apigatewayv2_route.this))) == jsonencode(sort([
      "$default",
      "GET /api/v1/camera-angle/jobs/{job_id}",
      "GET /api/v1/jobs",
      "GET /api/v1/jobs/{job_id}",
      "GET /api/v1/qwen-image-edit/jobs/{job_id}",
      "GET /health",
      "POST /api/v1/camera-angle/jobs",
      "POST /api/v1/jobs/{job_id}/cancel",
      "POST /api/v1/qwen-image-edit/jobs",
    ]))
    error_message = "The HTTP API must route every endpoint and $default to the Lambda."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.keys.statement : [s.actions, s.resources]]) == jsonencode([[["dynamodb:GetItem"], [var.api_key_table_arn]]])
    error_message = "The API may only read single API keys (GetItem); creating and revoking them is the operator's."
  }

  assert {
    condition     = length(setsubtract([var.tenant_index_arn, var.waiting_index_arn], flatten([for s in data.aws_iam_policy_document.table.statement : s.resources]))) == 0
    error_message = "The API must be able to query the tenant index (job lists) and the waiting index (its cap)."
  }

  assert {
    condition     = aws_apigatewayv2_integration.lambda[0].integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.lambda[0].payload_format_version == "2.0"
    error_message = "The integration must be a Lambda proxy with payload format 2.0 (what apig-wsgi reads)."
  }
}

run "gateway_can_be_left_out_for_an_emulator" {
  command = plan

  variables {
    api = { http_api_enabled = false }
  }

  assert {
    condition     = output.api_id == null && output.api_endpoint_url == null && module.api.access_log_group_name == null
    error_message = "Without the HTTP API there is no API id, endpoint or access log."
  }

  assert {
    condition     = output.api_function_name == "gpu-orchestrator-api"
    error_message = "The API Lambda itself must remain."
  }
}
