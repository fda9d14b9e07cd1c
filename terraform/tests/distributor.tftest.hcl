# The multi-region mode from the stack: any pool in another region turns the distributor on. The API
# then sends to the master queue and wakes no instance, the distributor forwards to this region's
# pool and the others, and this region's power run knows its pool and drains the master DLQ.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Known queue addresses at plan time, so the wiring can be compared.
override_module {
  target = module.home_pool.module.queue
  outputs = {
    queue_url  = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue"
    queue_arn  = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
    queue_name = "gpu_tasks_queue"
    dlq_url    = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue_dlq"
    dlq_arn    = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue_dlq"
    dlq_name   = "gpu_tasks_queue_dlq"
  }
}

variables {
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "job_rows_results_and_uploads_share_one_retention" {
  command = plan

  variables {
    gpu     = { instance_id = "i-0f0f6fd680921de5f", input_bucket_names = ["images-a", "images-b"] }
    results = { retention_days = 9 }
  }

  assert {
    condition     = output.api_environment.TASK_RETENTION_S == tostring(9 * 86400) && alltrue([for r in module.results_bucket.lifecycle_expiry_days : r == 9])
    error_message = "A job's row (TASK_RETENTION_S) must live as long as its results and uploads (the bucket's lifecycle)."
  }

  assert {
    condition     = output.api_environment.INPUT_BUCKETS == "images-a,images-b"
    error_message = "The API must accept s3:// inputs from the buckets the GPU may read (gpu.input_bucket_names)."
  }
}

run "without_other_pools_the_api_sends_to_the_task_queue" {
  command = plan

  assert {
    condition     = output.api_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" && output.api_environment.GPU_INSTANCE_ID == "i-0f0f6fd680921de5f"
    error_message = "Without the distributor the API must send to the task queue and wake the GPU instance."
  }

  assert {
    condition     = length(module.distributor) == 0 && output.distributor_function_name == null && output.gpu_pool == null && output.distributor_environment == null
    error_message = "The distributor must not exist without pools in other regions."
  }

  assert {
    condition     = !contains(keys(output.power_environment), "GPU_POOL") && !contains(keys(output.power_environment), "MASTER_DLQ_URL") && !contains(keys(output.worker_environment), "GPU_POOL") && output.worker_environment.VISIBILITY_TIMEOUT_S == "300"
    error_message = "Without the distributor the single pool has no pool name and keeps the 300 s visibility."
  }

  assert {
    condition     = output.power_environment.SQS_DLQ_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue_dlq" && !contains(keys(output.worker_environment), "SQS_DLQ_URL")
    error_message = "The power run, not the worker, owns the task queue's dead letters."
  }
}

run "with_other_pools_the_api_sends_to_the_master_queue" {
  command = plan

  override_module {
    target = module.distributor[0]
    outputs = {
      master_queue_url     = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue"
      master_queue_arn     = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue"
      master_dlq_url       = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq"
      master_dlq_arn       = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue_dlq"
      lambda_function_name = "distributor-lambda"
    }
  }

  variables {
    remote_pools = {
      "us-west-2" = {
        queue_url = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
        queue_arn = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
      }
    }
  }

  assert {
    condition     = output.api_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue" && output.submit_queue_url == output.api_environment.SQS_QUEUE_URL
    error_message = "With the distributor the API must send to the master queue."
  }

  assert {
    condition     = !contains(keys(output.api_environment), "GPU_INSTANCE_ID")
    error_message = "With the distributor the API must not wake this region's instance: the job may run elsewhere."
  }

  assert {
    condition     = output.power_environment.MASTER_DLQ_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq"
    error_message = "This region's power run must drain the master DLQ."
  }

  assert {
    condition     = jsondecode(output.power_environment.PEER_QUEUES) == { "us-west-2" = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2" }
    error_message = "This region's power run must read the other pools' queues before it fails a pending task for want of a message."
  }

  assert {
    condition     = jsonencode(sort(keys(local.pool_queues))) == jsonencode(["us-east-1", "us-west-2"]) && local.pool_queues["us-east-1"].queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" && local.pool_queues["us-west-2"].queue_arn == "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
    error_message = "The distributor must forward to this region's task queue and to every remote pool's queue."
  }

  assert {
    condition     = output.power_environment.GPU_POOL == "us-east-1" && output.power_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" && output.gpu_pool == "us-east-1"
    error_message = "This region's power Lambda must watch its own pool's queue and know its pool name."
  }

  assert {
    condition     = output.worker_environment.GPU_POOL == "us-east-1" && output.worker_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" && output.worker_environment.AWS_REGION == "us-east-1" && output.worker_environment.VISIBILITY_TIMEOUT_S == "3600"
    error_message = "This region's worker must read the task queue (not the master queue) with the regional 3600 s visibility, and stamp its pool name."
  }

  assert {
    condition     = output.distributor_function_name == "distributor-lambda"
    error_message = "The distributor Lambda must keep its default name."
  }
}

run "the_event_source_mapping_can_be_left_off_for_an_emulator" {
  command = plan

  module {
    source = "./modules/distributor"
  }

  variables {
    packages_dir = "./tests/packages"
    regional_queues = {
      "us-east-1" = {
        queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue"
        queue_arn = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
      }
    }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.master.enabled && aws_lambda_event_source_mapping.master.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "By default the master queue feeds the function, reporting failed items only."
  }
}

run "an_emulator_that_cannot_run_lambda_gets_no_polling" {
  command = plan

  module {
    source = "./modules/distributor"
  }

  variables {
    packages_dir         = "./tests/packages"
    event_source_enabled = false
    regional_queues = {
      "us-east-1" = {
        queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue"
        queue_arn = "arn:aws:sqs:us-east-1:123456789012:gpu_tasks_queue"
      }
    }
  }

  assert {
    condition     = !aws_lambda_event_source_mapping.master.enabled
    error_message = "event_source_enabled = false leaves the mapping disabled (a local loop feeds the function)."
  }
}
