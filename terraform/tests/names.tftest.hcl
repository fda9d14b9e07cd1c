# Names: the defaults are SPEC section 5's exactly, and a prefix moves every name so that a second
# environment fits in the same account. The AWS provider is mocked: nothing leaves this machine.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu_instance_id     = "i-0f0f6fd680921de5f"
  lambda_packages_dir = "./tests/packages"
}

run "default_names_are_the_designs" {
  command = plan

  assert {
    condition     = output.task_queue_name == "gpu_tasks_queue"
    error_message = "The task queue must be called gpu_tasks_queue by default."
  }

  assert {
    condition     = module.task_queue.dlq_name == "gpu_tasks_queue_dlq"
    error_message = "The DLQ must be called gpu_tasks_queue_dlq by default."
  }

  assert {
    condition     = output.task_table_name == "task_store"
    error_message = "The task table must be called task_store by default."
  }

  assert {
    condition     = output.alarm_name == "QueueEmptyFor30Min"
    error_message = "The alarm must be called QueueEmptyFor30Min by default."
  }

  assert {
    condition     = output.shutdown_lambda_name == "shutdown-gpu-lambda"
    error_message = "The power Lambda must be called shutdown-gpu-lambda by default."
  }

  assert {
    condition     = module.iam.api_role_name == "gpu-orchestrator-task-role" && module.iam.shutdown_role_name == "lambda-gpu-shutdown-role" && module.iam.gpu_instance_profile_name == "gpu-instance-profile"
    error_message = "The roles and the instance profile must carry the design's names by default."
  }
}

run "prefix_moves_every_name" {
  command = plan

  variables {
    name_prefix = "staging-"
  }

  assert {
    condition     = output.task_queue_name == "staging-gpu_tasks_queue" && module.task_queue.dlq_name == "staging-gpu_tasks_queue_dlq"
    error_message = "The queues must carry the prefix."
  }

  assert {
    condition     = output.task_table_name == "staging-task_store"
    error_message = "The task table must carry the prefix."
  }

  assert {
    condition     = startswith(output.results_bucket_name, "staging-gpu-orchestrator-results-")
    error_message = "The results bucket must carry the prefix."
  }

  assert {
    condition     = output.alarm_name == "staging-QueueEmptyFor30Min" && output.shutdown_lambda_name == "staging-shutdown-gpu-lambda"
    error_message = "The alarm and the power Lambda must carry the prefix."
  }

  assert {
    condition     = output.api_function_name == "staging-gpu-orchestrator-api" && output.dashboard_name == "staging-gpu-orchestrator" && output.power_schedule_rule_name == "staging-gpu-power-recheck"
    error_message = "The API Lambda, the dashboard and the schedule must carry the prefix."
  }

  assert {
    condition     = module.iam.api_role_name == "staging-gpu-orchestrator-task-role" && module.iam.shutdown_role_name == "staging-lambda-gpu-shutdown-role" && module.iam.gpu_instance_profile_name == "staging-gpu-instance-profile"
    error_message = "The roles and the instance profile must carry the prefix."
  }

  assert {
    condition     = output.shutdown_log_group_name == "/aws/lambda/staging-shutdown-gpu-lambda"
    error_message = "The power Lambda's log group must follow its prefixed name."
  }
}
