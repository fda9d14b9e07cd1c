# The multi-region mode from the root: the API sends to the distributor's master queue and wakes no
# instance, the distributor forwards to this region's task queue and the other pools' queues, and
# this region's power Lambda knows its pool. Applied to a mocked provider: nothing leaves this machine.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Known queue addresses at plan time, so the wiring can be compared.
override_module {
  target = module.task_queue
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
  gpu_instance_id     = "i-0f0f6fd680921de5f"
  lambda_packages_dir = "./tests/packages"
}

run "without_the_distributor_the_api_sends_to_the_task_queue" {
  command = plan

  assert {
    condition     = local.api_environment.SQS_QUEUE_URL == module.task_queue.queue_url && local.api_environment.GPU_INSTANCE_ID == "i-0f0f6fd680921de5f"
    error_message = "Without the distributor the API must send to the task queue and wake the GPU instance."
  }

  assert {
    condition     = length(module.distributor) == 0 && output.distributor_function_name == null && output.gpu_pool == null
    error_message = "The distributor must not exist unless enabled."
  }

  assert {
    condition     = !contains(keys(local.power_environment), "GPU_POOL") && !contains(keys(local.power_environment), "MASTER_DLQ_URL") && !contains(keys(output.worker_environment), "GPU_POOL") && local.power_schedule == "rate(5 minutes)" && local.task_queue_visibility == 300
    error_message = "Without the distributor the power Lambda has no pool and re-checks every 5 minutes."
  }
}

run "with_the_distributor_the_api_sends_to_the_master_queue" {
  command = plan

  override_module {
    target = module.distributor[0]
    outputs = {
      master_queue_url     = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue"
      master_queue_arn     = "arn:aws:sqs:us-east-1:123456789012:distributor_master_queue"
      master_dlq_url       = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq"
      lambda_function_name = "distributor-lambda"
    }
  }

  variables {
    distributor_enabled = true
    distributor_remote_queues = {
      "us-west-2" = {
        queue_url = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
        queue_arn = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
      }
    }
  }

  assert {
    condition     = local.api_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue" && local.power_environment.MASTER_DLQ_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq"
    error_message = "With the distributor the API must send to the master queue."
  }

  assert {
    condition     = !contains(keys(local.api_environment), "GPU_INSTANCE_ID")
    error_message = "With the distributor the API must not wake this region's instance: the job may run elsewhere."
  }

  assert {
    condition     = jsonencode(sort(keys(local.pool_queues))) == jsonencode(["us-east-1", "us-west-2"]) && local.pool_queues["us-east-1"].queue_url == module.task_queue.queue_url && local.pool_queues["us-west-2"].queue_arn == "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
    error_message = "The distributor must forward to this region's task queue and to every remote pool's queue."
  }

  assert {
    condition     = local.power_environment.GPU_POOL == "us-east-1" && local.power_environment.SQS_QUEUE_URL == module.task_queue.queue_url && output.gpu_pool == "us-east-1"
    error_message = "This region's power Lambda must watch its own pool's queue and know its pool name."
  }

  assert {
    condition     = output.worker_environment.GPU_POOL == "us-east-1" && output.worker_environment.SQS_QUEUE_URL == module.task_queue.queue_url && output.worker_environment.AWS_REGION == "us-east-1"
    error_message = "This region's worker must read the task queue (not the master queue) and stamp its pool name."
  }

  assert {
    condition     = local.power_schedule == "rate(1 minute)"
    error_message = "With the distributor the re-check is what starts a stopped instance, so it runs every minute."
  }

  assert {
    condition     = local.task_queue_visibility == 3600
    error_message = "With the distributor this region's task queue is a regional queue, with the design's 3600 s visibility."
  }

  assert {
    condition     = module.distributor[0].lambda_function_name == "distributor-lambda" && module.distributor[0].master_queue_url == local.submit_queue.url
    error_message = "The distributor Lambda must keep the design's name and read the queue the API sends to."
  }
}

run "a_remote_queue_must_be_keyed_by_region" {
  command = plan

  variables {
    distributor_enabled = true
    distributor_remote_queues = {
      "west" = {
        queue_url = "https://sqs.us-west-2.amazonaws.com/123456789012/q"
        queue_arn = "arn:aws:sqs:us-west-2:123456789012:q"
      }
    }
  }

  expect_failures = [var.distributor_remote_queues]
}
