# Shared by both environments (environments/aws/outputs.tf is a link to this file), so the two
# always hand the services the same outputs under the same names.

output "aws_region" {
  description = "Region of every resource (AWS_REGION)."
  value       = module.stack.aws_region
}

output "task_queue_url" {
  description = "URL of the task queue (SQS_QUEUE_URL)."
  value       = module.stack.task_queue_url
}

output "task_queue_arn" {
  description = "ARN of the task queue."
  value       = module.stack.task_queue_arn
}

output "task_queue_name" {
  description = "Name of the task queue (the alarm's QueueName dimension)."
  value       = module.stack.task_queue_name
}

output "task_dlq_url" {
  description = "URL of the task queue's dead-letter queue (SQS_DLQ_URL)."
  value       = module.stack.task_dlq_url
}

output "task_dlq_arn" {
  description = "ARN of the task queue's dead-letter queue."
  value       = module.stack.task_dlq_arn
}

output "task_table_name" {
  description = "Name of the task table (DYNAMODB_TABLE)."
  value       = module.stack.task_table_name
}

output "task_table_arn" {
  description = "ARN of the task table."
  value       = module.stack.task_table_arn
}

output "task_table_status_index_name" {
  description = "Name of the task table's status/created_at index."
  value       = module.stack.task_table_status_index_name
}

output "results_bucket_name" {
  description = "Name of the results bucket (RESULTS_BUCKET)."
  value       = module.stack.results_bucket_name
}

output "gpu_instance_id" {
  description = "Id of the GPU instance (GPU_INSTANCE_ID)."
  value       = module.stack.gpu_instance_id
}

output "gpu_tag" {
  description = "The tag that marks the GPU instance, as {key, value}."
  value       = module.stack.gpu_tag
}

output "api_role_arn" {
  description = "ARN of the API's role (gpu-orchestrator-task-role)."
  value       = module.stack.api_role_arn
}

output "gpu_instance_role_arn" {
  description = "ARN of the GPU worker's role."
  value       = module.stack.gpu_instance_role_arn
}

output "gpu_instance_profile_name" {
  description = "Instance profile to attach to the GPU instance (aws ec2 associate-iam-instance-profile)."
  value       = module.stack.gpu_instance_profile_name
}

output "shutdown_role_arn" {
  description = "ARN of the power Lambda's role."
  value       = module.stack.shutdown_role_arn
}

output "api_endpoint_url" {
  description = "Base URL of the orchestrator API (custom domain when one is set)."
  value       = module.stack.api_endpoint_url
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = module.stack.api_id
}

output "api_function_name" {
  description = "Name of the API Lambda."
  value       = module.stack.api_function_name
}

output "api_custom_domain_target" {
  description = "Host name the custom domain's DNS record must point at; null without a custom domain."
  value       = module.stack.api_custom_domain_target
}

output "shutdown_lambda_name" {
  description = "Name of the power Lambda."
  value       = module.stack.shutdown_lambda_name
}

output "shutdown_lambda_arn" {
  description = "ARN of the power Lambda."
  value       = module.stack.shutdown_lambda_arn
}

output "shutdown_log_group_name" {
  description = "Log group of the power Lambda (one line per decision)."
  value       = module.stack.shutdown_log_group_name
}

output "alarm_name" {
  description = "Name of the queue-empty alarm."
  value       = module.stack.alarm_name
}

output "shutdown_topic_arn" {
  description = "ARN of the SNS topic that the alarm notifies and the power Lambda is subscribed to."
  value       = module.stack.shutdown_topic_arn
}

output "power_schedule_rule_name" {
  description = "Name of the EventBridge rule that invokes the power Lambda periodically."
  value       = module.stack.power_schedule_rule_name
}

output "idle_minutes" {
  description = "Idle window in minutes after which the GPU instance is stopped (IDLE_MINUTES)."
  value       = module.stack.idle_minutes
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics (POWERTOOLS_METRICS_NAMESPACE)."
  value       = module.stack.metrics_namespace
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = module.stack.dashboard_name
}

output "task_table_region" {
  description = "Region of the task table (DYNAMODB_REGION for pools in other regions)."
  value       = module.stack.task_table_region
}

output "gpu_pool" {
  description = "This region's pool name with the distributor (GPU_POOL), null without."
  value       = module.stack.gpu_pool
}

output "submit_queue_url" {
  description = "The queue the API sends jobs to: the master queue with the distributor, else the task queue."
  value       = module.stack.submit_queue_url
}

output "distributor_role_arn" {
  description = "ARN of the distributor Lambda's role (null without the distributor)."
  value       = module.stack.distributor_role_arn
}

output "distributor_function_name" {
  description = "Name of the distributor Lambda (null without the distributor)."
  value       = module.stack.distributor_function_name
}

output "distributor_queue_urls" {
  description = "Region -> pool queue URL the distributor forwards to (null without the distributor)."
  value       = module.stack.distributor_queue_urls
}

output "second_pool" {
  description = "The second pool's region, instance and its profile, power Lambda and worker environment (null without one)."
  value = length(module.second_pool) == 0 ? null : {
    region                    = module.second_pool[0].region
    gpu_instance_id           = module.second_pool[0].gpu_instance_id
    gpu_instance_profile_name = module.second_pool[0].gpu_instance_profile_name
    shutdown_lambda_name      = module.second_pool[0].shutdown_lambda_name
    worker_environment        = module.second_pool[0].worker_environment
    power_environment         = module.second_pool[0].power_environment
  }
}

output "api_environment" {
  description = "Environment of the API (what GPUJOBS_OUTPUTS_FILE gives gunicorn; the API Lambda's own)."
  value       = module.stack.api_environment
}

output "webhook_environment" {
  description = "Settings of the webhook delivery (its Lambda's environment)."
  value       = module.stack.webhook_environment
}

output "webhook_role_arn" {
  description = "ARN of the webhook Lambda's role."
  value       = module.stack.webhook_role_arn
}

output "webhook_secret_key_arn" {
  description = "ARN of the KMS key that encrypts the tenants' webhook secrets."
  value       = module.stack.webhook_secret_key_arn
}

output "task_table_stream_arn" {
  description = "ARN of the task table's stream (the webhook delivery's event source)."
  value       = module.stack.task_table_stream_arn
}

output "worker_environment" {
  description = "Environment of this region's worker (sqs-adapter.service; install.sh --from-json reads it)."
  value       = module.stack.worker_environment
}

output "power_environment" {
  description = "Environment of this region's power logic (the power Lambda's own)."
  value       = module.stack.power_environment
}

output "distributor_environment" {
  description = "Environment of the distributor Lambda; null without the distributor."
  value       = module.stack.distributor_environment
}

output "task_table_status_index_arn" {
  description = "ARN of the task table's status index (for the power roles of pools in other regions)."
  value       = module.stack.task_table_status_index_arn
}

output "results_bucket_arn" {
  description = "ARN of the results bucket (for the worker roles of pools in other regions)."
  value       = module.stack.results_bucket_arn
}

output "distributor_master_queue_url" {
  description = "URL of the distributor's master queue (null without the distributor)."
  value       = module.stack.distributor_master_queue_url
}

output "pool_inputs" {
  description = "What a GPU pool of another region takes from the stack: its task table and results bucket."
  value       = module.stack.pool_inputs
}

output "gpu_host" {
  description = "This region's GPU host: created or adopted, its launch template, the SSM parameters of its settings and wanted build, its setup document, its log group."
  value       = module.stack.gpu_host
}

output "build" {
  description = "The build the GPU hosts install (bucket, key, sha256, version); null when none is published."
  value       = module.stack.build
}

output "ops_topic_arn" {
  description = "ARN of the ops SNS topic that every alarm of this region notifies."
  value       = module.stack.ops_topic_arn
}

output "network" {
  description = "The VPC made for the GPU host; null when the host uses an existing subnet."
  value       = module.stack.network
}
