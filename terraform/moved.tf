# Addresses of the code before this region's pool was a modules/gpu_pool call: its queue, the
# roles (all in an iam module), the instance tag and the power Lambda were modules of their own here.
# They move to where a pool of that code kept them, and modules/gpu_pool/moved.tf carries them on
# from there, as it does for the pools of other regions; the API's role moves to the API's Lambda.
# An existing state keeps every resource: tests/terraform/test_state_upgrade.py plans this code
# over states the old code made.

moved {
  from = module.task_queue
  to   = module.home_pool.module.queue.module.queue
}

moved {
  from = module.iam
  to   = module.home_pool.module.iam
}

moved {
  from = module.worker_instance
  to   = module.home_pool.module.worker_instance
}

moved {
  from = module.power
  to   = module.home_pool.module.power
}

moved {
  from = module.home_pool.module.iam.aws_iam_role.api[0]
  to   = module.api.module.function.aws_iam_role.this
}

moved {
  from = module.home_pool.module.iam.aws_iam_role_policy.api_queue[0]
  to   = module.api.module.function.aws_iam_role_policy.this["task-queue-send"]
}

moved {
  from = module.home_pool.module.iam.aws_iam_role_policy.api_table[0]
  to   = module.api.module.function.aws_iam_role_policy.this["task-table-write"]
}

moved {
  from = module.home_pool.module.iam.aws_iam_role_policy.api_results[0]
  to   = module.api.module.function.aws_iam_role_policy.this["results-read"]
}

moved {
  from = module.home_pool.module.iam.aws_iam_role_policy.api_instance[0]
  to   = module.api.module.function.aws_iam_role_policy.this["gpu-instance-start"]
}

moved {
  from = module.home_pool.module.iam.aws_iam_role_policy.api_logs[0]
  to   = module.api.module.function.aws_iam_role_policy.logs
}
