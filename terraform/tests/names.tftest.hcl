# Names: the defaults are the first deployment's exactly, and a prefix moves every name so that a second
# environment fits in the same account. The AWS provider is mocked: nothing leaves this machine.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "default_names_are_the_first_deployments" {
  command = plan

  assert {
    condition     = output.task_queue_name == "gpu_tasks_queue" && module.home_pool.dlq_name == "gpu_tasks_queue_dlq"
    error_message = "The task queue and its DLQ must be called gpu_tasks_queue and gpu_tasks_queue_dlq by default."
  }

  assert {
    condition     = output.task_table_name == "task_store" && output.results_bucket_name == "gpu-orchestrator-results-123456789012"
    error_message = "The task table must be called task_store, the bucket gpu-orchestrator-results-<account>, by default."
  }

  assert {
    condition     = output.alarm_name == "QueueEmptyFor30Min" && output.shutdown_lambda_name == "shutdown-gpu-lambda" && output.power_schedule_rule_name == "gpu-power-recheck"
    error_message = "The alarm, the power Lambda and its schedule must carry their default names."
  }

  assert {
    condition     = module.api.role_name == "gpu-orchestrator-task-role" && module.home_pool.gpu_instance_profile_name == "gpu-instance-profile" && output.api_function_name == "gpu-orchestrator-api"
    error_message = "The API's role and function and the instance profile must carry their default names."
  }
}

run "prefix_moves_every_name" {
  command = plan

  variables {
    name_prefix = "staging-"
  }

  assert {
    condition     = output.task_queue_name == "staging-gpu_tasks_queue" && module.home_pool.dlq_name == "staging-gpu_tasks_queue_dlq"
    error_message = "The queues must carry the prefix."
  }

  assert {
    condition     = output.task_table_name == "staging-task_store" && startswith(output.results_bucket_name, "staging-gpu-orchestrator-results-")
    error_message = "The task table and the results bucket must carry the prefix."
  }

  assert {
    condition     = output.alarm_name == "staging-QueueEmptyFor30Min" && output.shutdown_lambda_name == "staging-shutdown-gpu-lambda" && output.shutdown_log_group_name == "/aws/lambda/staging-shutdown-gpu-lambda"
    error_message = "The alarm, the power Lambda and its log group must carry the prefix."
  }

  assert {
    condition     = output.api_function_name == "staging-gpu-orchestrator-api" && output.dashboard_name == "staging-gpu-orchestrator" && output.power_schedule_rule_name == "staging-gpu-power-recheck"
    error_message = "The API Lambda, the dashboard and the schedule must carry the prefix."
  }

  assert {
    condition     = module.api.role_name == "staging-gpu-orchestrator-task-role" && module.home_pool.gpu_instance_profile_name == "staging-gpu-instance-profile"
    error_message = "The roles and the instance profile must carry the prefix."
  }
}

run "a_name_can_be_set" {
  command = plan

  variables {
    names = { task_table = "jobs", results_bucket = "team-gpu-results" }
  }

  assert {
    condition     = output.task_table_name == "jobs" && output.results_bucket_name == "team-gpu-results" && output.task_queue_name == "gpu_tasks_queue"
    error_message = "A name set in `names` replaces only that name."
  }
}
