# A customer-managed key, when given, lets each role use exactly that key and only through SQS or S3;
# without one no role has a KMS permission. The dead-letter queues accept dead letters only from their
# own source queue.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  key_arn          = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
  environment      = {}
  packages_dir     = "./tests/packages"
  task_table_arn   = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
  status_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
  # The API module's key table and the task table's tenant indexes.
  tenant_index_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/tenant-created_at-index"
  waiting_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/waiting_tenant-created_at-index"
  api_key_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/gpu-orchestrator-api-keys"
}

run "power_decrypts_its_dead_letters_with_the_key_through_sqs_only" {
  command = plan

  module {
    source = "./modules/power"
  }

  variables {
    function_name    = "shutdown-gpu-lambda"
    role_name        = "lambda-gpu-shutdown-role"
    topic_name       = "gpu-shutdown-alerts"
    alarm_name       = "QueueEmptyFor30Min"
    queue_name       = "gpu_tasks_queue"
    schedule_name    = "gpu-power-recheck"
    task_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    gpu_instance_arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f"
    dlq_arns         = ["arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue_dlq"]
    kms_key_arn      = var.key_arn
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.dead_letters.statement : [s.actions, s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "DecryptDeadLetters"]) == jsonencode([[["kms:Decrypt"], [var.key_arn], [["StringEquals", "kms:ViaService", ["sqs.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key, the power role may only decrypt with that key, through SQS of its region."
  }
}

run "api_uses_the_key_to_send_and_to_sign_downloads" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    function_name      = "gpu-orchestrator-api"
    api_name           = "gpu-orchestrator-api"
    role_name          = "gpu-orchestrator-task-role"
    submit_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    results_bucket_arn = "arn:aws:s3:::gpu-orchestrator-results"
    kms_key_arn        = var.key_arn
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.queue.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.variable, sort(c.values)]]] if s.sid == "UseDataKey"]) == jsonencode([[["kms:Decrypt", "kms:GenerateDataKey"], [var.key_arn], [["kms:ViaService", ["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key, the API role may use exactly that key, through SQS and S3 only."
  }
}

run "api_without_a_key_has_no_kms_permission" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    function_name      = "gpu-orchestrator-api"
    api_name           = "gpu-orchestrator-api"
    role_name          = "gpu-orchestrator-task-role"
    submit_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    results_bucket_arn = "arn:aws:s3:::gpu-orchestrator-results"
  }

  assert {
    condition     = length(flatten([for policy in values(module.function.policies) : [for s in jsondecode(policy).Statement : s if length([for a in flatten([s.Action]) : a if startswith(a, "kms:")]) > 0]])) == 0
    error_message = "Without a key no statement of the API role names a KMS action."
  }
}

run "a_dead_letter_queue_takes_letters_only_from_its_source_queue" {
  command = apply

  module {
    source = "./modules/task_queue"
  }

  variables {
    name     = "gpu_tasks_queue"
    dlq_name = "gpu_tasks_queue_dlq"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq[0].redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.this.arn] }
    error_message = "The DLQ's redrive allow policy must name the task queue, and only it."
  }
}
