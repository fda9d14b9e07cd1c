output "region" {
  description = "Region of the pool (its provider's): its name as the distributor's key and the worker's GPU_POOL."
  value       = local.region
}

output "queue_url" {
  description = "URL of the pool's task queue (the distributor forwards to it; the pool's worker reads it)."
  value       = module.queue.queue_url
}

output "queue_arn" {
  description = "ARN of the pool's task queue."
  value       = module.queue.queue_arn
}

output "queue_name" {
  description = "Name of the pool's task queue."
  value       = module.queue.queue_name
}

output "dlq_url" {
  description = "URL of the pool's dead-letter queue (its power run drains it)."
  value       = module.queue.dlq_url
}

output "dlq_arn" {
  description = "ARN of the pool's dead-letter queue."
  value       = module.queue.dlq_arn
}

output "dlq_name" {
  description = "Name of the pool's dead-letter queue."
  value       = module.queue.dlq_name
}

output "gpu_instance_id" {
  description = "Id of the pool's GPU instance (adopted or created)."
  value       = module.host.instance_id
}

output "host" {
  description = "The pool's GPU host: whether Terraform created it, its launch template (for an Auto Scaling group), the SSM parameters of its settings and wanted build, its setup document (aws ssm send-command), its log group."
  value = {
    created                 = module.host.created
    launch_template_id      = module.host.launch_template_id
    launch_template_version = module.host.launch_template_version
    security_group_id       = module.host.security_group_id
    settings_parameter_name = module.host.settings_parameter_name
    build_parameter_name    = module.host.build_parameter_name
    setup_document_name     = module.host.setup_document_name
    log_group_name          = module.host.log_group_name
    vpc_endpoint_ids        = module.host.vpc_endpoint_ids
  }
}

output "gpu_tag" {
  description = "The tag that marks the pool's GPU instance, as {key, value}."
  value       = { key = var.gpu.tag_key, value = var.gpu.tag_value }
}

output "worker_role_arn" {
  description = "ARN of the role of the pool's worker."
  value       = aws_iam_role.worker.arn
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the pool's GPU instance (aws ec2 associate-iam-instance-profile)."
  value       = aws_iam_instance_profile.worker.name
}

output "power_role_arn" {
  description = "ARN of the role of the pool's power Lambda."
  value       = module.power.role_arn
}

output "shutdown_lambda_name" {
  description = "Name of the pool's power Lambda."
  value       = module.power.function_name
}

output "shutdown_lambda_arn" {
  description = "ARN of the pool's power Lambda."
  value       = module.power.function_arn
}

output "shutdown_log_group_name" {
  description = "Log group of the pool's power Lambda (one line per decision)."
  value       = module.power.log_group_name
}

output "alarm_name" {
  description = "Name of the pool's queue-empty alarm."
  value       = module.power.alarm_name
}

output "topic_arn" {
  description = "ARN of the SNS topic the queue-empty alarm notifies."
  value       = module.power.topic_arn
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that re-checks the pool's power."
  value       = module.power.schedule_rule_name
}

output "worker_environment" {
  description = "Environment of the pool's worker (sqs-adapter.service; install.sh --from-json reads it): its queue and the queue's visibility timeout, the task table and its region, the job time limit, its pool name behind the distributor, and a fleet's group and drain hook."
  value       = local.worker_environment
}

output "power_environment" {
  description = "Environment of the pool's power Lambda: its instance, its queue and the dead-letter queues it drains, the task table and its region, the idle window."
  value       = local.power_environment
}

output "gpu_instance_arn" {
  description = "ARN of the pool's GPU instance."
  value       = local.gpu_instance_arn
}

output "alarms" {
  description = "The pool's alarms (dead_letters, oldest_job, power_not_running, idle_gpu, capacity), each as CloudWatch has it."
  value = {
    dead_letters      = aws_cloudwatch_metric_alarm.dead_letters
    oldest_job        = aws_cloudwatch_metric_alarm.oldest_job
    power_not_running = aws_cloudwatch_metric_alarm.power_not_running
    idle_gpu          = aws_cloudwatch_metric_alarm.idle_gpu
    capacity          = aws_cloudwatch_metric_alarm.capacity
  }
}

output "fleet" {
  description = "The pool's Auto Scaling group when it is a fleet (fleet.max_size above 1), as {group_name, group_arn, max_size, warm_pool, instance_types}; null for a single instance."
  value = local.fleet ? {
    group_name     = one(aws_autoscaling_group.fleet[*].name)
    group_arn      = local.fleet_arn
    max_size       = var.fleet.max_size
    warm_pool      = local.fleet_warm
    instance_types = concat([var.gpu.instance_type], var.gpu.fallback_instance_types)
  } : null
}
