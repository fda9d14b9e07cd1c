# The webhook delivery: the task table streams old and new rows, a mapping feeds them to the function
# with batch item failures, bisecting and bounded retries, and the function's role reads only that
# stream, only the tenants' secret items of the key table, and decrypts only with the secrets key.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  task_table_stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/stream/2026-01-01T00:00:00.000"
  api_key_table_name    = "gpu-orchestrator-api-keys"
  api_key_table_arn     = "arn:aws:dynamodb:us-east-1:123456789012:table/gpu-orchestrator-api-keys"
  packages_dir          = "./tests/packages"
  name                  = "task_store"
}

run "the_task_table_streams_old_and_new_rows" {
  command = plan

  module {
    source = "./modules/task_table"
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled && aws_dynamodb_table.this.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "The task table must stream each write's old and new row: the webhook events come from the change of status."
  }
}

run "the_mapping_hands_back_failed_records_and_bounds_retries" {
  command = apply

  module {
    source = "./modules/webhook"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.task_stream[0].event_source_arn == var.task_table_stream_arn && aws_lambda_event_source_mapping.task_stream[0].starting_position == "LATEST"
    error_message = "The mapping must read the task table's stream."
  }

  assert {
    condition     = contains(aws_lambda_event_source_mapping.task_stream[0].function_response_types, "ReportBatchItemFailures") && aws_lambda_event_source_mapping.task_stream[0].bisect_batch_on_function_error
    error_message = "Failed records must come back alone (ReportBatchItemFailures), and a failed invocation's batch be split."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.task_stream[0].maximum_retry_attempts >= 0 && aws_lambda_event_source_mapping.task_stream[0].maximum_record_age_in_seconds > 0
    error_message = "Retries and record age must be bounded, so one failing receiver cannot hold its shard forever."
  }

  assert {
    condition     = module.function.environment.WEBHOOK_SECRET_KEY_ARN == aws_kms_key.secrets.arn && module.function.environment.API_KEYS_TABLE == var.api_key_table_name && module.function.environment.WEBHOOK_ALLOW_LOOPBACK == "false"
    error_message = "The function must get the key table, the secrets key and no loopback receivers by default."
  }

  assert {
    condition     = aws_kms_key.secrets.enable_key_rotation
    error_message = "The secrets key must rotate."
  }
}

run "the_role_reads_only_its_stream_and_the_secret_items" {
  command = apply

  module {
    source = "./modules/webhook"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.stream.statement) == 1 && jsonencode(data.aws_iam_policy_document.stream.statement[0].resources) == jsonencode([var.task_table_stream_arn]) && length(setsubtract(data.aws_iam_policy_document.stream.statement[0].actions, ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"])) == 0
    error_message = "The stream statement must allow only the stream reads, on the task table's stream alone."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.secrets.statement :
      jsonencode(s.actions) == jsonencode(["dynamodb:GetItem"]) && jsonencode(s.resources) == jsonencode([var.api_key_table_arn]) && anytrue([for c in s.condition : c.variable == "dynamodb:LeadingKeys" && jsonencode(c.values) == jsonencode(["webhook-secret#*"])])
      if anytrue([for a in s.actions : startswith(a, "dynamodb:")])
    ])
    error_message = "The key table may be read only with GetItem, only for webhook-secret#<tenant> items (no API key's item)."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.secrets.statement :
      jsonencode(s.actions) == jsonencode(["kms:Decrypt"]) && jsonencode(s.resources) == jsonencode([aws_kms_key.secrets.arn])
      if anytrue([for a in s.actions : startswith(a, "kms:")])
    ]) && length([for s in data.aws_iam_policy_document.secrets.statement : s if contains(s.actions, "kms:Decrypt")]) == 1
    error_message = "The role may only decrypt, and only with the webhook secrets key."
  }

  assert {
    condition     = length(setsubtract(keys(module.function.policies), ["task-stream-read", "webhook-secrets-read"])) == 0
    error_message = "The function's role must carry no other policy than the stream read and the secrets read (besides its logs)."
  }

  assert {
    condition     = module.function.error_alarm_name != null
    error_message = "The webhook function must have an error alarm."
  }
}

run "the_emulator_runs_without_a_mapping" {
  command = plan

  module {
    source = "./modules/webhook"
  }

  variables {
    stream_mapping = false
    allow_loopback = true
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.task_stream) == 0 && module.function.environment.WEBHOOK_ALLOW_LOOPBACK == "true"
    error_message = "Without stream_mapping (an emulator) no mapping is made; allow_loopback reaches the function."
  }
}
