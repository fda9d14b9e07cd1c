# A GPU pool: its worker and power Lambda read its own queue, the stack's table (in the stack's
# region) and their pool name; its names carry the region; its worker reads only its queue and the
# table; its power run drains its own DLQ, and the master DLQ when it is given one.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_data "aws_region" {
    defaults = {
      name = "us-west-2"
    }
  }
}

override_module {
  target = module.queue
  outputs = {
    queue_url  = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
    queue_arn  = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
    queue_name = "gpu_tasks_queue_us_west_2"
    dlq_url    = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2_dlq"
    dlq_arn    = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2_dlq"
    dlq_name   = "gpu_tasks_queue_us_west_2_dlq"
  }
}

variables {
  gpu = { instance_id = "i-0a1b2c3d4e5f60718" }
  task_table = {
    name             = "task_store"
    arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
    status_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
    region           = "us-east-1"
  }
  results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results" }
  lambda         = { packages_dir = "./tests/packages" }
}

run "pool_services_read_their_queue_and_the_stack_table" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  assert {
    condition     = output.worker_environment.SQS_QUEUE_URL == "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2" && output.worker_environment.AWS_REGION == "us-west-2"
    error_message = "The pool's worker must read its own region's queue."
  }

  assert {
    condition     = output.worker_environment.DYNAMODB_TABLE == "task_store" && output.worker_environment.DYNAMODB_REGION == "us-east-1" && output.worker_environment.GPU_POOL == "us-west-2"
    error_message = "The pool's worker must reach the stack's table in its region and stamp its pool name."
  }

  assert {
    condition     = output.worker_environment.VISIBILITY_TIMEOUT_S == "3600" && local.schedule_expression == "rate(1 minute)"
    error_message = "Behind the distributor a pool's queue has the regional 3600 s visibility and its power re-check runs every minute."
  }

  assert {
    condition     = output.power_environment.SQS_DLQ_URL == "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2_dlq" && !contains(keys(output.power_environment), "MASTER_DLQ_URL")
    error_message = "The pool's power run drains its own DLQ and, unless given one, no master DLQ."
  }

  assert {
    condition     = jsonencode(module.power.drained_queue_arns) == jsonencode(["arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2_dlq"])
    error_message = "The pool's power role may drain exactly its own DLQ."
  }

  assert {
    condition     = output.shutdown_lambda_name == "shutdown-gpu-lambda-us-west-2" && output.alarm_name == "gpu-idle-alarm-us-west-2" && output.gpu_instance_profile_name == "gpu-instance-profile-us-west-2" && local.names.queue == "gpu_tasks_queue_us_west_2"
    error_message = "The pool's names must carry its region (IAM names too: they are global), so pools never collide."
  }

  assert {
    condition     = output.gpu_instance_arn == "arn:aws:ec2:us-west-2:123456789012:instance/i-0a1b2c3d4e5f60718"
    error_message = "The pool's instance ARN is in the pool's region."
  }

  assert {
    condition     = jsonencode(one(data.aws_iam_policy_document.worker_queue.statement).resources) == jsonencode(["arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"])
    error_message = "The worker's queue permissions must name only the pool's queue (not its DLQ: the power run drains that)."
  }

  assert {
    condition     = jsonencode(sort(data.aws_iam_policy_document.worker_table.statement[0].actions)) == jsonencode(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]) && jsonencode(data.aws_iam_policy_document.worker_table.statement[0].resources) == jsonencode([var.task_table.arn])
    error_message = "The worker's row permissions must be exactly get, update and put on the task table."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.worker_table.statement) == 2 && jsonencode(data.aws_iam_policy_document.worker_table.statement[1].actions) == jsonencode(["dynamodb:Query"]) && jsonencode(data.aws_iam_policy_document.worker_table.statement[1].resources) == jsonencode([var.task_table.status_index_arn])
    error_message = "Besides its rows, the worker may only query the status index (its own processing tasks, at start)."
  }
}

run "the_home_pool_drains_the_master_dlq_too" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    master_dlq = {
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq"
      arn = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue_dlq"
    }
    master_queue = {
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue"
      arn = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue"
    }
  }

  assert {
    condition     = output.power_environment.MASTER_DLQ_URL == var.master_dlq.url
    error_message = "The power run must be told the master DLQ it drains."
  }

  assert {
    condition     = output.power_environment.MASTER_QUEUE_URL == var.master_queue.url
    error_message = "The home pool's power run must be told the master queue, whose retention ends stranded pending tasks."
  }

  assert {
    condition     = jsonencode(module.power.drained_queue_arns) == jsonencode(["arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2_dlq", var.master_dlq.arn])
    error_message = "The power role may drain exactly its pool's DLQ and the master DLQ."
  }
}

run "the_home_pool_reads_every_pool_queue_before_failing_a_pending_task" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    master_queue = {
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue"
      arn = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue"
    }
    peer_queues = {
      "eu-west-1" = {
        queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/gpu_tasks_queue_eu_west_1"
        queue_arn = "arn:aws:sqs:eu-west-1:123456789012:gpu_tasks_queue_eu_west_1"
      }
    }
  }

  assert {
    condition     = jsondecode(output.power_environment.PEER_QUEUES) == { "eu-west-1" = var.peer_queues["eu-west-1"].queue_url }
    error_message = "The home pool's power run must be told the other pools' queues, by pool name."
  }

  assert {
    condition     = contains(module.power.counted_queue_arns, var.peer_queues["eu-west-1"].queue_arn) && contains(module.power.counted_queue_arns, var.master_queue.arn)
    error_message = "The power role may read the master queue's and the other pools' queue counts."
  }
}

run "the_only_pool_of_a_single_region_system_has_no_pool_name" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    distributed = false
  }

  assert {
    condition     = !contains(keys(output.power_environment), "PEER_QUEUES") && !contains(keys(output.power_environment), "MASTER_QUEUE_URL")
    error_message = "A single-region pool has no other queues to read."
  }

  assert {
    condition     = !contains(keys(output.worker_environment), "GPU_POOL") && !contains(keys(output.power_environment), "GPU_POOL")
    error_message = "Without the distributor every task is the one pool's: no GPU_POOL."
  }

  assert {
    condition     = output.worker_environment.VISIBILITY_TIMEOUT_S == "300" && local.schedule_expression == "rate(5 minutes)"
    error_message = "The single pool keeps the 300 s visibility and the 5-minute re-check."
  }
}

run "fallback_types_let_the_power_run_change_the_tagged_instance_type" {
  # Applied to the mocks: a created instance's id (and so its ARN) is known only then.
  command = apply

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    gpu = {
      ami_id                  = "ami-0123456789abcdef0"
      subnet_id               = "subnet-0123456789abcdef0"
      fallback_instance_types = ["g6.2xlarge", "g5.2xlarge"]
    }
  }

  assert {
    condition     = output.power_environment.GPU_INSTANCE_TYPES == "g6e.2xlarge,g6.2xlarge,g5.2xlarge"
    error_message = "The power run must be told the preferred type first, then the fallbacks in order."
  }

  assert {
    condition = alltrue([
      for s in module.power.instance_policy_statements : anytrue([for c in s.condition : c.variable == "ec2:ResourceTag/Purpose" && contains(c.values, "GPU-ComfyUI")]) && s.resources == toset([output.gpu_instance_arn])
      if contains(s.actions, "ec2:ModifyInstanceAttribute")
    ]) && length([for s in module.power.instance_policy_statements : s if contains(s.actions, "ec2:ModifyInstanceAttribute")]) == 1
    error_message = "The power role may change the type of the pool's tagged instance only."
  }

  assert {
    condition     = output.host.created && jsondecode(module.host.settings_json).SQS_QUEUE_URL == output.worker_environment.SQS_QUEUE_URL && jsondecode(module.host.settings_json).VISIBILITY_TIMEOUT_S == output.worker_environment.VISIBILITY_TIMEOUT_S
    error_message = "The host's settings parameter must be the pool's worker environment, so the queue and its visibility timeout never disagree."
  }
}

run "without_fallbacks_the_type_stays" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  assert {
    condition     = !contains(keys(output.power_environment), "GPU_INSTANCE_TYPES") && length([for s in module.power.instance_policy_statements : s if contains(s.actions, "ec2:ModifyInstanceAttribute")]) == 0
    error_message = "Without fallback types the power run may not change the instance type."
  }
}

run "a_pool_in_another_region_uses_the_stack_key_only_for_results" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results", kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" }
  }

  assert {
    condition     = local.queue_kms_key_arn == null
    error_message = "A key serves its own region: a pool elsewhere keeps SQS-managed encryption."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.worker_objects.statement : [sort(s.actions), s.resources, [for c in s.condition : [c.variable, c.values]]] if s.sid == "UseDataKey"]) == jsonencode([[["kms:Decrypt", "kms:GenerateDataKey"], [var.results_bucket.kms_key_arn], [["kms:ViaService", ["s3.us-east-1.amazonaws.com"]]]]])
    error_message = "The worker of a pool elsewhere may use the stack's key through the results bucket's S3 only."
  }
}

run "the_home_pool_encrypts_its_queues_with_the_stack_key" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    task_table = {
      name             = "task_store"
      arn              = "arn:aws:dynamodb:us-west-2:123456789012:table/task_store"
      status_index_arn = "arn:aws:dynamodb:us-west-2:123456789012:table/task_store/index/status-created_at-index"
      region           = "us-west-2"
    }
    results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" }
  }

  assert {
    condition     = local.queue_kms_key_arn == var.results_bucket.kms_key_arn
    error_message = "The home pool's queues are encrypted with the stack's key."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.worker_objects.statement : [for c in s.condition : sort(c.values)] if s.sid == "UseDataKey"]) == jsonencode([[["s3.us-west-2.amazonaws.com", "sqs.us-west-2.amazonaws.com"]]])
    error_message = "The home pool's worker may use the key through its queue's SQS and the results bucket's S3."
  }
}
