# A customer-managed key, when given, encrypts the task table and the build bucket too, and lets each
# role use exactly that key and only through the services it uses it by (DynamoDB, SQS, S3); without
# one no role has a KMS permission. The dead-letter queues accept dead letters only from their own
# source queue.

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
    function_name      = "shutdown-gpu-lambda"
    role_name          = "lambda-gpu-shutdown-role"
    topic_name         = "gpu-shutdown-alerts"
    alarm_name         = "QueueEmptyFor30Min"
    queue_name         = "gpu_tasks_queue"
    schedule_name      = "gpu-power-recheck"
    task_queue_arn     = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    gpu_instance_arn   = "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f"
    dlq_arns           = ["arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue_dlq"]
    kms_key_arn        = var.key_arn
    task_table_kms_key = var.key_arn
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.dead_letters.statement : [s.actions, s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "DecryptDeadLetters"]) == jsonencode([[["kms:Decrypt"], [var.key_arn], [["StringEquals", "kms:ViaService", ["sqs.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key, the power role may only decrypt with that key, through SQS of its region."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.facts.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "UseTaskTableKey"]) == jsonencode([[["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], [var.key_arn], [["StringEquals", "kms:ViaService", ["dynamodb.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key on the task table, the power role may use exactly that key, through DynamoDB of the table's region only."
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
    task_table_kms_key = var.key_arn
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.queue.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.variable, sort(c.values)]]] if s.sid == "UseDataKey"]) == jsonencode([[["kms:Decrypt", "kms:GenerateDataKey"], [var.key_arn], [["kms:ViaService", ["s3.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key, the API role may use exactly that key, through SQS and S3 only."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.table.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "UseTaskTableKey"]) == jsonencode([[["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], [var.key_arn], [["StringEquals", "kms:ViaService", ["dynamodb.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key on the task table, the API role may use exactly that key, through DynamoDB only."
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

run "the_task_table_is_encrypted_with_the_key" {
  command = plan

  module {
    source = "./modules/task_table"
  }

  variables {
    name        = "task_store"
    kms_key_arn = var.key_arn
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.key_arn
    error_message = "With a key, the task table is encrypted with exactly that key."
  }
}

run "the_stack_hands_the_key_to_the_table_the_pools_and_the_build" {
  command = plan

  variables {
    gpu         = { instance_id = "i-0f0f6fd680921de5f" }
    lambda      = { packages_dir = "./tests/packages" }
    build       = { wheel_dir = "./tests/packages" }
    kms_key_arn = var.key_arn
  }

  assert {
    condition     = local.pool_inputs.task_table.kms_key_arn == var.key_arn && local.build.kms_key_arn == var.key_arn
    error_message = "Every pool's roles learn the table's key, and the hosts the build's."
  }
}

run "pool_roles_use_the_table_key_through_dynamodb_of_the_table_region" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    gpu = { instance_id = "i-0a1b2c3d4e5f60718" }
    task_table = {
      name             = "task_store"
      arn              = var.task_table_arn
      status_index_arn = var.status_index_arn
      region           = "us-east-1"
      kms_key_arn      = var.key_arn
    }
    results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results" }
    lambda         = { packages_dir = "./tests/packages" }
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.worker_table.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "UseTaskTableKey"]) == jsonencode([[["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], [var.key_arn], [["StringEquals", "kms:ViaService", ["dynamodb.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key on the task table, the worker's role may use exactly that key, through DynamoDB of the table's region only."
  }
}

run "pool_roles_without_a_key_have_no_kms_permission" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    gpu = { instance_id = "i-0a1b2c3d4e5f60718" }
    task_table = {
      name             = "task_store"
      arn              = var.task_table_arn
      status_index_arn = var.status_index_arn
      region           = "us-east-1"
    }
    results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results" }
    lambda         = { packages_dir = "./tests/packages" }
  }

  assert {
    condition     = length([for s in concat(data.aws_iam_policy_document.worker_table.statement, data.aws_iam_policy_document.worker_objects.statement, data.aws_iam_policy_document.worker_queue.statement) : s if length([for a in s.actions : a if startswith(a, "kms:")]) > 0]) == 0
    error_message = "Without a key no statement of the worker's role names a KMS action."
  }
}

run "hosts_decrypt_the_build_with_the_key_through_s3_only" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    names = {
      instance           = "gpu-comfyui-us-east-1"
      launch_template    = "gpu-host-us-east-1"
      security_group     = "gpu-host-us-east-1"
      log_group          = "/gpu-orchestrator/gpu-host"
      settings_parameter = "/gpu-orchestrator/worker-environment"
      build_parameter    = "/gpu-orchestrator/build"
      agent_parameter    = "/gpu-orchestrator/cloudwatch-agent"
      setup_document     = "gpu-orchestrator-host-setup"
    }
    instance_id           = "i-0f0f6fd680921de5f"
    instance_profile_name = "gpu-instance-profile"
    role_name             = "gpu-instance-role"
    gpu_tag               = { key = "Purpose", value = "GPU-ComfyUI" }
    settings              = { VISIBILITY_TIMEOUT_S = "300" }
    build = {
      bucket      = "gpu-orchestrator-builds-123456789012"
      key         = "builds/0123456789abcdef/gpu_orchestrator-0.1.0-py3-none-any.whl"
      sha256      = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      version     = "0123456789abcdef"
      kms_key_arn = var.key_arn
    }
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.setup.statement : [s.actions, s.resources, [for c in s.condition : [c.test, c.variable, c.values]]] if s.sid == "DecryptBuild"]) == jsonencode([[["kms:Decrypt"], [var.key_arn], [["StringEquals", "kms:ViaService", ["s3.us-east-1.amazonaws.com"]]]]])
    error_message = "With a key on the build bucket, the hosts may decrypt with exactly that key, through S3 only."
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
