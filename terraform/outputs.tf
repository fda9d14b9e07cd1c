# Named for their readers: each service reads its own `<service>_environment` map; the rest is for
# operators, the environments (which pass every output through) and the tests.

output "aws_region" {
  description = "Region of every resource (AWS_REGION)."
  value       = local.region
}

output "task_queue_url" {
  description = "URL of the task queue (SQS_QUEUE_URL)."
  value       = module.home_pool.queue_url
}

output "task_queue_arn" {
  description = "ARN of the task queue."
  value       = module.home_pool.queue_arn
}

output "task_queue_name" {
  description = "Name of the task queue (the alarm's QueueName dimension)."
  value       = module.home_pool.queue_name
}

output "task_dlq_url" {
  description = "URL of the task queue's dead-letter queue (SQS_DLQ_URL)."
  value       = module.home_pool.dlq_url
}

output "task_dlq_arn" {
  description = "ARN of the task queue's dead-letter queue."
  value       = module.home_pool.dlq_arn
}

output "task_table_name" {
  description = "Name of the task table (DYNAMODB_TABLE)."
  value       = module.task_table.table_name
}

output "task_table_arn" {
  description = "ARN of the task table."
  value       = module.task_table.table_arn
}

output "task_table_status_index_name" {
  description = "Name of the task table's status/created_at index."
  value       = module.task_table.status_index_name
}

output "results_bucket_name" {
  description = "Name of the results bucket (RESULTS_BUCKET)."
  value       = module.results_bucket.bucket_name
}

output "gpu_instance_id" {
  description = "Id of the GPU instance (GPU_INSTANCE_ID)."
  value       = module.home_pool.gpu_instance_id
}

output "gpu_tag" {
  description = "The tag that marks the GPU instance, as {key, value}."
  value       = module.home_pool.gpu_tag
}

output "api_role_arn" {
  description = "ARN of the API's role (gpu-orchestrator-task-role)."
  value       = module.api.role_arn
}

output "gpu_instance_role_arn" {
  description = "ARN of the GPU worker's role."
  value       = module.home_pool.worker_role_arn
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the GPU instance (aws ec2 associate-iam-instance-profile)."
  value       = module.home_pool.gpu_instance_profile_name
}

output "shutdown_role_arn" {
  description = "ARN of the power Lambda's role."
  value       = module.home_pool.power_role_arn
}

output "api_endpoint_url" {
  description = "Base URL of the orchestrator API (custom domain when one is set)."
  value       = module.api.endpoint_url
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = module.api.api_id
}

output "api_function_name" {
  description = "Name of the API Lambda."
  value       = module.api.function_name
}

output "api_custom_domain_target" {
  description = "Host name the custom domain's DNS record must point at; null without a custom domain."
  value       = module.api.custom_domain_target
}

output "shutdown_lambda_name" {
  description = "Name of the power Lambda."
  value       = module.home_pool.shutdown_lambda_name
}

output "shutdown_lambda_arn" {
  description = "ARN of the power Lambda."
  value       = module.home_pool.shutdown_lambda_arn
}

output "shutdown_log_group_name" {
  description = "Log group of the power Lambda (one line per decision)."
  value       = module.home_pool.shutdown_log_group_name
}

output "alarm_name" {
  description = "Name of the queue-empty alarm."
  value       = module.home_pool.alarm_name
}

output "shutdown_topic_arn" {
  description = "ARN of the SNS topic that the alarm notifies and the power Lambda is subscribed to."
  value       = module.home_pool.topic_arn
}

output "power_schedule_rule_name" {
  description = "Name of the EventBridge rule that invokes the power Lambda periodically."
  value       = module.home_pool.schedule_rule_name
}

output "idle_minutes" {
  description = "Idle window in minutes after which the GPU instance is stopped (IDLE_MINUTES)."
  value       = var.power.idle_minutes
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics (POWERTOOLS_METRICS_NAMESPACE)."
  value       = var.metrics_namespace
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = module.dashboard.dashboard_name
}

output "task_table_region" {
  description = "Region of the task table; GPU pools in other regions reach it there (DYNAMODB_REGION)."
  value       = local.region
}

output "task_table_status_index_arn" {
  description = "ARN of the task table's status index (for the power roles of GPU pools in other regions)."
  value       = module.task_table.status_index_arn
}

output "results_bucket_arn" {
  description = "ARN of the results bucket (for the worker roles of GPU pools in other regions)."
  value       = module.results_bucket.bucket_arn
}

output "gpu_pool" {
  description = "This region's pool name with the distributor (its worker's GPU_POOL), null without."
  value       = local.distributed ? local.region : null
}

output "submit_queue_url" {
  description = "The queue the API sends jobs to: the distributor's master queue, or the task queue without it."
  value       = local.submit_queue.url
}

output "distributor_master_queue_url" {
  description = "URL of the distributor's master queue (null without the distributor)."
  value       = try(local.distributor.master_queue_url, null)
}

output "webhook_role_arn" {
  description = "ARN of the webhook Lambda's role."
  value       = module.webhook.role_arn
}

output "webhook_secret_key_arn" {
  description = "ARN of the KMS key that encrypts the tenants' webhook secrets (WEBHOOK_SECRET_KEY_ARN)."
  value       = module.webhook.secret_key_arn
}

output "task_table_stream_arn" {
  description = "ARN of the task table's stream, which feeds the webhook delivery."
  value       = module.task_table.stream_arn
}

output "distributor_role_arn" {
  description = "ARN of the distributor Lambda's role (null without the distributor)."
  value       = try(local.distributor.lambda_role_arn, null)
}

output "distributor_function_name" {
  description = "Name of the distributor Lambda (null without the distributor)."
  value       = try(local.distributor.lambda_function_name, null)
}

output "distributor_queue_urls" {
  description = "Region -> pool queue URL the distributor forwards to (null without the distributor)."
  value       = try(local.distributor.region_queue_urls, null)
}

output "api_environment" {
  description = "Environment of the API (the API Lambda's, and GPUJOBS_OUTPUTS_FILE for gunicorn): the queue it submits to, the task table, the results bucket and, when it wakes the GPU, GPU_INSTANCE_ID (a single instance) or GPU_FLEET_GROUP (a fleet)."
  value       = local.api_environment
}

output "webhook_environment" {
  description = "Settings of the webhook delivery (its Lambda's environment; local.webhook_stream reads it too)."
  value       = module.webhook.lambda_environment
}

output "worker_environment" {
  description = "Environment of this region's worker (sqs-adapter.service; install.sh --from-json reads it): its queue and the queue's visibility timeout, the task table and its region, the job time limit."
  value       = module.home_pool.worker_environment
}

output "power_environment" {
  description = "Environment of this region's power logic (the power Lambda's): the instance, its queue and the dead-letter queues it drains, the idle window."
  value       = module.home_pool.power_environment
}

output "distributor_environment" {
  description = "Environment of the distributor Lambda; null without the distributor."
  value       = try(local.distributor.lambda_environment, null)
}

output "pool_inputs" {
  description = "What a GPU pool of another region (modules/gpu_pool) takes from the stack: its task table (with the KMS key that encrypts it, if any) and results bucket."
  value       = local.pool_inputs
}

output "gpu_host" {
  description = "This region's GPU host: whether Terraform created it, its launch template, the SSM parameters of its settings and wanted build, its setup document (aws ssm send-command), its log group."
  value       = module.home_pool.host
}

output "build" {
  description = "The build the GPU hosts install (bucket, key, sha256, version, and the KMS key that encrypts it, if any); null when none is published."
  value       = local.build
}

output "ops_topic_arn" {
  description = "ARN of the ops SNS topic that every alarm of this region notifies."
  value       = module.ops.topic_arn
}

output "network" {
  description = "The VPC made for the GPU host (vpc_id, private_subnet_id, private_route_table_id, nat_gateway_id); null when the host uses an existing subnet."
  value       = local.network
}
