# IAM: EC2 start and stop are allowed only on the named instances and only while they carry the
# GPU tag; describe is the only EC2 action on "*". Read from the policy documents' statements.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  api_role_name             = "gpu-orchestrator-task-role"
  gpu_instance_role_name    = "gpu-instance-role"
  gpu_instance_profile_name = "gpu-instance-profile"
  shutdown_role_name        = "lambda-gpu-shutdown-role"
  task_queue_arn            = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
  task_table_arn            = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
  status_index_arn          = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
  results_bucket_arn        = "arn:aws:s3:::gpu-orchestrator-results"
  gpu_instance_ids          = ["i-0f0f6fd680921de5f"]
  api_log_group_name        = "/aws/lambda/gpu-orchestrator-api"
  shutdown_log_group_name   = "/aws/lambda/shutdown-gpu-lambda"
}

run "start_and_stop_carry_the_tag_condition" {
  command = plan

  module {
    source = "./modules/iam"
  }

  assert {
    condition = alltrue([
      for s in concat(data.aws_iam_policy_document.api_instance[0].statement, data.aws_iam_policy_document.shutdown_instance.statement) :
      anytrue([for c in s.condition : c.test == "StringEquals" && c.variable == "ec2:ResourceTag/Purpose" && length(c.values) == 1 && contains(c.values, "GPU-ComfyUI")])
      if length(setintersection(s.actions, ["ec2:StartInstances", "ec2:StopInstances"])) > 0
    ])
    error_message = "Every statement that allows ec2:StartInstances or ec2:StopInstances must require the tag Purpose=GPU-ComfyUI."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.shutdown_instance.statement : s if contains(s.actions, "ec2:StopInstances")]) == 1
    error_message = "The power role must be allowed to stop the GPU instance."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.api_instance[0].statement : s if contains(s.actions, "ec2:StartInstances")]) == 1
    error_message = "The API role must be allowed to start the GPU instance."
  }

  assert {
    condition = alltrue([
      for s in concat(data.aws_iam_policy_document.api_instance[0].statement, data.aws_iam_policy_document.shutdown_instance.statement) :
      length(s.resources) == 1 && contains(s.resources, "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f")
      if length(setintersection(s.actions, ["ec2:StartInstances", "ec2:StopInstances"])) > 0
    ])
    error_message = "Start and stop must name the GPU instance's ARN, not every instance."
  }

  assert {
    condition = alltrue([
      for s in concat(data.aws_iam_policy_document.api_instance[0].statement, data.aws_iam_policy_document.shutdown_instance.statement) :
      length(setsubtract(s.actions, ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"])) == 0
      if contains(s.resources, "*")
    ])
    error_message = "Only describe calls (which cannot be scoped) may be allowed on \"*\"."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.api_instance[0].statement : s if contains(s.actions, "ec2:StopInstances")]) == 0
    error_message = "The API must not be able to stop the GPU instance."
  }
}

run "tag_follows_its_variables" {
  command = plan

  module {
    source = "./modules/iam"
  }

  variables {
    gpu_tag_key   = "Pool"
    gpu_tag_value = "gpu-eu"
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.shutdown_instance.statement :
      anytrue([for c in s.condition : c.variable == "ec2:ResourceTag/Pool" && length(c.values) == 1 && contains(c.values, "gpu-eu")])
      if contains(s.actions, "ec2:StopInstances")
    ])
    error_message = "The stop statement must use the configured tag."
  }
}

run "worker_reads_only_its_queue_and_table" {
  command = plan

  module {
    source = "./modules/iam"
  }

  assert {
    condition     = jsonencode(sort(one([for s in data.aws_iam_policy_document.gpu_queue.statement : s.resources]))) == jsonencode([var.task_queue_arn])
    error_message = "The worker's queue permissions must name only the task queue."
  }

  assert {
    condition     = jsonencode(sort(one([for s in data.aws_iam_policy_document.gpu_table.statement : s.actions]))) == jsonencode(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
    error_message = "The worker's table permissions must be exactly get, update and put."
  }
}
