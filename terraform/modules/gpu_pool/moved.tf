# Addresses of the code before the pool took a queue of its own (no regional_queue wrapper), the
# worker's role (no iam module), the instance tag (no worker_instance module) and a power Lambda
# built by modules/lambda. Existing pools keep every resource; nothing is replaced.

moved {
  from = module.queue.module.queue.aws_sqs_queue.this
  to   = module.queue.aws_sqs_queue.this
}

moved {
  from = module.queue.module.queue.aws_sqs_queue.dlq
  to   = module.queue.aws_sqs_queue.dlq
}

moved {
  from = module.worker_instance.aws_ec2_tag.this
  to   = aws_ec2_tag.gpu
}

moved {
  from = module.iam.aws_iam_role.gpu_instance
  to   = aws_iam_role.worker
}

moved {
  from = module.iam.aws_iam_instance_profile.gpu_instance
  to   = aws_iam_instance_profile.worker
}

moved {
  from = module.iam.aws_iam_role_policy.gpu_queue
  to   = aws_iam_role_policy.worker["task-queue-consume"]
}

moved {
  from = module.iam.aws_iam_role_policy.gpu_table
  to   = aws_iam_role_policy.worker["task-table-update"]
}

moved {
  from = module.iam.aws_iam_role_policy.gpu_objects
  to   = aws_iam_role_policy.worker["objects-read-write"]
}

moved {
  from = module.iam.aws_iam_role.shutdown
  to   = module.power.module.function.aws_iam_role.this
}

moved {
  from = module.iam.aws_iam_role_policy.shutdown_instance
  to   = module.power.module.function.aws_iam_role_policy.this["gpu-instance-power"]
}

moved {
  from = module.iam.aws_iam_role_policy.shutdown_facts
  to   = module.power.module.function.aws_iam_role_policy.this["idle-facts-read"]
}

moved {
  from = module.iam.aws_iam_role_policy.shutdown_logs
  to   = module.power.module.function.aws_iam_role_policy.logs
}
