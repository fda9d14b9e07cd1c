# The local environment's multi-region mode, applied to mocked providers: what each deployed
# function would read. The API sends to the master queue and wakes nothing; the distributor forwards
# to both pools; the home pool's power run drains the master DLQ; the second pool reaches the home
# table in the home region. (`make soak` applies the same to the emulator and destroys it.)

mock_provider "aws" {
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "second_region"
  source = "../../tests/mocks"

  mock_data "aws_region" {
    defaults = {
      name = "us-west-2"
    }
  }
}

# Distinct addresses for the queues and instances the wiring is compared by.
override_resource {
  target = module.stack.module.home_pool.module.queue.aws_sqs_queue.this
  values = { url = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue" }
}

override_resource {
  target = module.second_pool[0].module.queue.aws_sqs_queue.this
  values = { url = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2" }
}

override_resource {
  target = module.stack.module.distributor[0].aws_sqs_queue.master
  values = { url = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue" }
}

override_resource {
  target = module.stack.module.distributor[0].aws_sqs_queue.master_dlq
  values = { url = "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq" }
}

override_resource {
  target = module.gpu_stand_in[0].aws_instance.this
  values = { id = "i-0f0f6fd680921de5f" }
}

override_resource {
  target = module.second_stand_in[0].aws_instance.this
  values = { id = "i-0a1b2c3d4e5f60718" }
}

variables {
  lambda_packages_dir = "../../tests/packages"
  distributor_enabled = true
}

run "multi_region_wiring" {
  command = apply

  assert {
    condition     = output.api_environment.SQS_QUEUE_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue" && output.submit_queue_url == output.api_environment.SQS_QUEUE_URL && !contains(keys(output.api_environment), "GPU_INSTANCE_ID")
    error_message = "The API sends to the master queue and wakes no instance."
  }

  assert {
    condition     = output.distributor_environment.REGION_QUEUES == jsonencode({ "us-east-1" = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue", "us-west-2" = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2" }) && output.second_pool.worker_environment.SQS_QUEUE_URL == "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
    error_message = "The distributor forwards to this region's task queue and the second pool's queue."
  }

  assert {
    condition     = output.power_environment.MASTER_DLQ_URL == "https://sqs.us-east-1.amazonaws.com/123456789012/distributor_master_queue_dlq" && output.distributor_environment.MASTER_DLQ_URL == output.power_environment.MASTER_DLQ_URL && output.power_environment.GPU_POOL == "us-east-1" && output.power_environment.SQS_QUEUE_URL == output.task_queue_url
    error_message = "The home pool's power run watches its own queue, knows its pool, and drains the master DLQ the distributor rejects to."
  }

  assert {
    condition     = output.second_pool.power_environment.GPU_POOL == "us-west-2" && output.second_pool.power_environment.DYNAMODB_TABLE == output.task_table_name && output.second_pool.power_environment.DYNAMODB_REGION == "us-east-1" && output.second_pool.power_environment.GPU_INSTANCE_ID == "i-0a1b2c3d4e5f60718" && output.gpu_instance_id == "i-0f0f6fd680921de5f"
    error_message = "The second pool's power run reaches the home table in the home region and powers its own instance."
  }

  assert {
    condition     = output.second_pool.worker_environment.SQS_QUEUE_URL == output.second_pool.power_environment.SQS_QUEUE_URL && output.second_pool.worker_environment.GPU_POOL == "us-west-2" && !contains(keys(output.second_pool.power_environment), "MASTER_DLQ_URL")
    error_message = "The second pool's worker and power run share its queue; only the home pool drains the master DLQ."
  }

  assert {
    condition     = module.stack.distributor_function_name == "distributor-lambda" && length(module.second_stand_in) == 1 && length(module.home_distributor) == 0
    error_message = "The mode has the distributor and a second stand-in, and no distributor beside it."
  }
}

run "home_distributor_beside_the_single_region_stack" {
  command = apply

  variables {
    distributor_enabled = false
    home_distributor    = true
  }

  assert {
    condition     = output.distributor_environment == null && output.api_environment.SQS_QUEUE_URL == output.task_queue_url && output.power_environment.SQS_QUEUE_URL == output.task_queue_url && !contains(keys(output.power_environment), "MASTER_DLQ_URL")
    error_message = "The API still sends to the task queue, and the stack has no distributor of its own."
  }

  assert {
    condition     = output.home_distributor.environment.REGION_QUEUES == jsonencode({ "us-east-1" = output.task_queue_url }) && output.home_distributor.environment.MASTER_DLQ_URL == output.home_distributor.master_dlq_url
    error_message = "The distributor beside the stack forwards to this region's task queue only and rejects to its own DLQ."
  }
}

run "single_region_has_no_distributor" {
  command = plan

  variables {
    distributor_enabled  = false
    api_http_api_enabled = false
  }

  assert {
    condition     = output.distributor_environment == null && output.second_pool == null && output.gpu_pool == null && output.home_distributor == null
    error_message = "Without the mode there is no distributor and no second pool."
  }

  assert {
    condition     = output.api_id == null && output.api_endpoint_url == null
    error_message = "api_http_api_enabled = false reaches the stack: no HTTP API."
  }
}
