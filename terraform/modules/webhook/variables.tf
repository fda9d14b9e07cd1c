variable "task_table_stream_arn" {
  description = "ARN of the task table's stream (new and old images): the function's event source, and all it may read of the table."
  type        = string
}

variable "api_key_table_name" {
  description = "Name of the key table, which holds each tenant's encrypted webhook secret (API_KEYS_TABLE)."
  type        = string
}

variable "api_key_table_arn" {
  description = "ARN of the key table; the function may GetItem only the webhook-secret#<tenant> items."
  type        = string
}

variable "function_name" {
  description = "Name of the webhook function."
  type        = string
  default     = "gpu-webhook-lambda"
}

variable "role_name" {
  description = "Name of the function's IAM role."
  type        = string
  default     = "lambda-webhook-role"
}

variable "key_alias" {
  description = "Alias (without alias/) of the KMS key that encrypts the webhook secrets."
  type        = string
  default     = "gpu-orchestrator-webhook-secrets"
}

variable "key_deletion_window_days" {
  description = "Days a deleted secrets key waits before it is gone. An integer from 7 to 30."
  type        = number
  default     = 30
}

variable "packages_dir" {
  description = "Directory holding the built zips (scripts/build_lambda_packages.py writes webhook.zip there); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.11"
}

variable "memory_size" {
  description = "Memory of the function in MB. An integer from 128 to 10240."
  type        = number
  default     = 256
}

variable "timeout_seconds" {
  description = "Function timeout: a batch's deliveries, with their retries, must fit in it. An integer from 1 to 900."
  type        = number
  default     = 120
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 for none."
  type        = number
  default     = -1
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 30
}

variable "stream_mapping" {
  description = "Feed the stream to the function through an event source mapping. Keep true on AWS; false only on an emulator that cannot run Lambda functions (moto's server, which would try at every write of the table), where local/webhook_stream.py reads the stream and calls the handler instead."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Stream records per invocation. An integer from 1 to 10000."
  type        = number
  default     = 50
}

variable "maximum_batching_window_in_seconds" {
  description = "How long the mapping gathers records before invoking. An integer from 0 to 300."
  type        = number
  default     = 1
}

variable "maximum_retry_attempts" {
  description = "Times a batch that reported failures is handed over again before the mapping skips it. An integer from -1 (until the record expires) to 10000."
  type        = number
  default     = 10
}

variable "maximum_record_age_seconds" {
  description = "Records older than this are skipped by the mapping. -1 (the stream's 24 h) or an integer from 60 to 604800."
  type        = number
  default     = 21600
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard. An integer from 1 to 10."
  type        = number
  default     = 1
}

variable "attempts" {
  description = "Attempts at one delivery within one invocation (WEBHOOK_ATTEMPTS), with exponential backoff. An integer from 1 to 10."
  type        = number
  default     = 3
}

variable "receiver_timeout_seconds" {
  description = "Seconds a receiver has to answer one attempt (WEBHOOK_TIMEOUT_S)."
  type        = number
  default     = 10
}

variable "maximum_event_age_seconds" {
  description = "A failing event older than this is dropped, logged and counted (WEBHOOK_MAX_EVENT_AGE_S) instead of handed back again."
  type        = number
  default     = 3600
}

variable "allow_loopback" {
  description = "Accept http:// and https:// receivers on loopback (WEBHOOK_ALLOW_LOOPBACK): only for a deployment on one machine, such as the emulator."
  type        = bool
  default     = false
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the WebhooksDelivered and WebhooksDropped counts."
  type        = string
  default     = "GpuOrchestrator"
}

variable "environment" {
  description = "Extra environment variables of the function, merged over the ones the module sets."
  type        = map(string)
  default     = {}
}

variable "alarm_actions" {
  description = "SNS topic ARNs the function's error alarm notifies."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
