# A GPU pool of another region: its worker and power Lambda read its own queue, the home region's
# table (in the home region) and their pool name; its names carry the region; it has no API role.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_data "aws_region" {
    defaults = {
      name = "us-west-2"
    }
  }
}

variables {
  gpu_instance_id     = "i-0a1b2c3d4e5f60718"
  task_table_name     = "task_store"
  task_table_arn      = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
  status_index_arn    = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
  task_table_region   = "us-east-1"
  results_bucket_name = "gpu-orchestrator-results"
  results_bucket_arn  = "arn:aws:s3:::gpu-orchestrator-results"
  package_path        = "./tests/packages/shutdown.zip"
}

run "pool_services_read_their_queue_and_the_home_table" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  override_module {
    target = module.queue
    outputs = {
      region     = "us-west-2"
      queue_url  = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
      queue_arn  = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
      queue_name = "gpu_tasks_queue_us_west_2"
      dlq_url    = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2_dlq"
      dlq_arn    = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2_dlq"
    }
  }

  assert {
    condition     = output.worker_environment.SQS_QUEUE_URL == "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2" && output.worker_environment.AWS_REGION == "us-west-2"
    error_message = "The pool's worker must read its own region's queue."
  }

  assert {
    condition     = output.worker_environment.DYNAMODB_TABLE == "task_store" && output.worker_environment.DYNAMODB_REGION == "us-east-1" && output.worker_environment.GPU_POOL == "us-west-2"
    error_message = "The pool's worker must reach the home table in its region and stamp its pool name."
  }

  assert {
    condition     = module.power.function_name == "shutdown-gpu-lambda-us-west-2" && module.power.alarm_name == "gpu-idle-alarm-us-west-2"
    error_message = "The pool's power resources must carry its region, so pools never collide."
  }

  assert {
    condition     = module.iam.api_role_arn == null && module.iam.gpu_instance_profile_name == "gpu-instance-profile-us-west-2"
    error_message = "A pool has no API role, and its (global) IAM names carry its region."
  }

  assert {
    condition     = local.names.queue == "gpu_tasks_queue_us_west_2"
    error_message = "The pool's queue must be named for its region."
  }
}
