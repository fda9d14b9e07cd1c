# IAM, read from the policy documents' statements: EC2 start and stop only on the named instance and
# only while it carries the GPU tag (describe is the only EC2 action on "*"); the power run gets
# exactly what draining its dead-letter queues needs; the worker reads only its queue and table.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  function_name    = "shutdown-gpu-lambda"
  role_name        = "lambda-gpu-shutdown-role"
  environment      = {}
  topic_name       = "gpu-shutdown-alerts"
  alarm_name       = "QueueEmptyFor30Min"
  queue_name       = "gpu_tasks_queue"
  schedule_name    = "gpu-power-recheck"
  task_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
  task_table_arn   = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
  status_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
  # The API's reads of its key table and the task table's tenant and waiting indexes.
  tenant_index_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/tenant-created_at-index"
  waiting_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/waiting_tenant-created_at-index"
  api_key_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/gpu-orchestrator-api-keys"
  gpu_instance_arn  = "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f"
  packages_dir      = "./tests/packages"
}

run "power_starts_and_stops_only_the_tagged_instance" {
  command = plan

  module {
    source = "./modules/power"
  }

  variables {
    dlq_arns = ["arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue_dlq"]
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.instance.statement :
      anytrue([for c in s.condition : c.test == "StringEquals" && c.variable == "ec2:ResourceTag/Purpose" && length(c.values) == 1 && contains(c.values, "GPU-ComfyUI")])
      if length(setintersection(s.actions, ["ec2:StartInstances", "ec2:StopInstances"])) > 0
    ])
    error_message = "Every statement that allows ec2:StartInstances or ec2:StopInstances must require the tag Purpose=GPU-ComfyUI."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.instance.statement : s if contains(s.actions, "ec2:StopInstances")]) == 1 && length([for s in data.aws_iam_policy_document.instance.statement : s if contains(s.actions, "ec2:StartInstances")]) == 1
    error_message = "The power role must be allowed to stop and to start the GPU instance."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.instance.statement :
      jsonencode(s.resources) == jsonencode([var.gpu_instance_arn])
      if length(setintersection(s.actions, ["ec2:StartInstances", "ec2:StopInstances"])) > 0
    ])
    error_message = "Start and stop must name the GPU instance's ARN, not every instance."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.instance.statement :
      length(setsubtract(s.actions, ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"])) == 0
      if contains(s.resources, "*")
    ])
    error_message = "Only describe calls (which cannot be scoped) may be allowed on \"*\"."
  }

  assert {
    condition     = jsonencode(sort(keys(module.function.policies))) == jsonencode(["dead-letters-drain", "gpu-instance-power", "idle-facts-read"])
    error_message = "The power role has one policy per purpose: instance power, idle facts, dead letters (plus the logs policy of modules/lambda)."
  }
}

run "power_reads_the_facts_and_drains_exactly_its_dead_letters" {
  command = plan

  module {
    source = "./modules/power"
  }

  variables {
    dlq_arns = ["arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue_dlq", "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue_dlq"]
  }

  assert {
    condition     = jsonencode({ for s in data.aws_iam_policy_document.facts.statement : s.sid => [sort(s.actions), sort(s.resources)] }) == jsonencode({ QueueDepth = [["sqs:GetQueueAttributes"], [var.task_queue_arn]], OpenTasks = [["dynamodb:GetItem", "dynamodb:Query"], sort([var.task_table_arn, var.status_index_arn])] })
    error_message = "The facts the power run reads: the task queue's attributes (depth, redrive policy), and task rows by key and by state."
  }

  assert {
    condition     = jsonencode({ for s in data.aws_iam_policy_document.dead_letters.statement : s.sid => [sort(s.actions), sort(s.resources)] }) == jsonencode({ DrainDeadLetters = [["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], sort(var.dlq_arns)], FailTaskRows = [["dynamodb:PutItem", "dynamodb:UpdateItem"], [var.task_table_arn]] })
    error_message = "Draining dead letters is receive, delete, change visibility and read attributes on exactly the given DLQs, and fail (update) or create (put) rows of the task table only."
  }
}

run "api_starts_but_never_stops_the_tagged_instance" {
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
    gpu_instance       = { arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f", tag_key = "Pool", tag_value = "gpu-eu" }
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.instance[0].statement :
      jsonencode(s.resources) == jsonencode([var.gpu_instance.arn]) && anytrue([for c in s.condition : c.variable == "ec2:ResourceTag/Pool" && jsonencode(c.values) == jsonencode(["gpu-eu"])])
      if contains(s.actions, "ec2:StartInstances")
    ])
    error_message = "The API may start only the named instance, and only while it carries the configured tag."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.instance[0].statement : s if contains(s.actions, "ec2:StopInstances")]) == 0
    error_message = "The API must not be able to stop the GPU instance."
  }
}

run "api_sets_only_its_tagged_fleet_from_zero" {
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
    gpu_fleet          = { arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/gpu-fleet-us-east-1", tag_key = "Pool", tag_value = "gpu-eu" }
  }

  assert {
    condition = length([for s in data.aws_iam_policy_document.fleet[0].statement : s if contains(s.actions, "autoscaling:SetDesiredCapacity")]) == 1 && alltrue([
      for s in data.aws_iam_policy_document.fleet[0].statement :
      jsonencode(s.resources) == jsonencode([var.gpu_fleet.arn]) && anytrue([for c in s.condition : c.variable == "autoscaling:ResourceTag/Pool" && jsonencode(c.values) == jsonencode(["gpu-eu"])])
      if contains(s.actions, "autoscaling:SetDesiredCapacity")
    ])
    error_message = "The API may set the desired capacity of the named group only, and only while it carries the configured tag."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.fleet[0].statement : alltrue([for a in s.actions : contains(["autoscaling:SetDesiredCapacity", "autoscaling:DescribeAutoScalingGroups"], a)])])
    error_message = "Describing groups and setting the desired capacity is all the API may do to the fleet."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.instance) == 0 && contains(keys(module.function.policies), "gpu-fleet-wake")
    error_message = "A fleet's API starts no instance by id."
  }
}

run "api_that_wakes_no_instance_has_no_ec2_permission" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    function_name      = "gpu-orchestrator-api"
    api_name           = "gpu-orchestrator-api"
    role_name          = "gpu-orchestrator-task-role"
    submit_queue_arn   = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue"
    results_bucket_arn = "arn:aws:s3:::gpu-orchestrator-results"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.instance) == 0 && !contains(keys(module.function.policies), "gpu-instance-start") && length(data.aws_iam_policy_document.fleet) == 0 && !contains(keys(module.function.policies), "gpu-fleet-wake")
    error_message = "Without an instance to wake (the distributor's mode) the API role has no EC2 or Auto Scaling permission."
  }
}

run "api_reaches_only_the_result_and_upload_prefixes" {
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
    condition = jsonencode({
      for s in data.aws_iam_policy_document.results.statement : s.sid => [sort(s.actions), s.resources]
      }) == jsonencode({
      DeleteResults  = [["s3:DeleteObject"], ["arn:aws:s3:::gpu-orchestrator-results/comfyui-results/*"]]
      ListResults    = [["s3:ListBucket"], ["arn:aws:s3:::gpu-orchestrator-results"]]
      PresignResults = [["s3:GetObject"], ["arn:aws:s3:::gpu-orchestrator-results/comfyui-results/*"]]
      PresignUploads = [["s3:PutObject"], ["arn:aws:s3:::gpu-orchestrator-results/uploads/*"]]
    })
    error_message = "The API may read and delete results, list only under their prefix, and write only uploads: a presigned URL can do no more."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.results.statement : anytrue([
        for c in s.condition : c.variable == "s3:prefix" && jsonencode(c.values) == jsonencode(["comfyui-results/*"])
      ]) if s.sid == "ListResults"
    ])
    error_message = "Listing must be limited to the results prefix."
  }
}
