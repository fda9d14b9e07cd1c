variable "regional_queues" {
  description = "Regional queues the distributor forwards to: region name -> the queue's URL and ARN (the outputs of ./regional_queue fit). Keys must be AWS region names; the function calls each queue in its key's region."
  type = map(object({
    queue_url = string
    queue_arn = string
  }))

  validation {
    condition     = length(var.regional_queues) > 0
    error_message = "Give at least one regional queue; with none the distributor has nowhere to send jobs."
  }

  validation {
    condition     = alltrue([for region in keys(var.regional_queues) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", region))])
    error_message = "Each key of regional_queues must be an AWS region name such as us-east-1."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key of the master queue and its DLQ (null: SQS-managed encryption); the role may then use it, and the regional queues' keys are their own (SQS-managed)."
  type        = string
  default     = null
}

variable "restrict_dlq_sources" {
  description = "Let only the master queue move messages to the master DLQ (a byQueue redrive allow policy). Keep true on AWS; false only for an emulator that does not keep the attribute (moto's server)."
  type        = bool
  default     = true
}

variable "event_source_enabled" {
  description = "Let the event source mapping feed the function from the master queue. Keep true on AWS; false only on an emulator that cannot run Lambda functions (moto's server would try at every send, counting a receive each time), where a local loop plays the event source (local/distributor_source.py)."
  type        = bool
  default     = true
  nullable    = false
}

variable "packages_dir" {
  description = "Directory holding the built zips (scripts/build_lambda_packages.py writes distributor.zip there); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "master_queue_name" {
  description = "Name of the master queue that receives every job."
  type        = string
  default     = "distributor_master_queue"
}

variable "master_dlq_name" {
  description = "Name of the master queue's dead-letter queue (failed forwards after max_receive_count receives, and invalid messages at once)."
  type        = string
  default     = "distributor_master_queue_dlq"
}

variable "master_visibility_timeout_seconds" {
  description = "Visibility timeout of the master queue; longer than the function timeout. An integer from 0 to 43200."
  type        = number
  default     = 600
}

variable "master_message_retention_seconds" {
  description = "How long the master queue keeps a job that could not be forwarded. An integer from 60 to 1209600."
  type        = number
  default     = 86400
}

variable "master_max_receive_count" {
  description = "Receives after which a master-queue message moves to the DLQ. An integer from 1 to 1000."
  type        = number
  default     = 3
}

variable "dlq_message_retention_seconds" {
  description = "How long the master DLQ keeps a message. An integer from 60 to 1209600."
  type        = number
  default     = 1209600
}

variable "idempotency_table_name" {
  description = "Name of the DynamoDB table holding one record per forwarded job."
  type        = string
  default     = "distributor_idempotency"
}

variable "idempotency_ttl_seconds" {
  description = "How long a forwarded job's record stops a duplicate; at least the master queue's retention. An integer from 60 to 2678400."
  type        = number
  default     = 86400
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery of the idempotency table."
  type        = bool
  default     = true
}

variable "function_name" {
  description = "Name of the distributor Lambda function."
  type        = string
  default     = "distributor-lambda"
}

variable "role_name" {
  description = "Name of the function's IAM role."
  type        = string
  default     = "lambda-distributor-role"
}

variable "runtime" {
  description = "Lambda runtime of the function."
  type        = string
  default     = "python3.11"
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: PassThrough (no cost) or Active."
  type        = string
  default     = "PassThrough"
}

variable "timeout_seconds" {
  description = "Function timeout. An integer from 1 to 900, below master_visibility_timeout_seconds."
  type        = number
  default     = 300
}

variable "memory_size" {
  description = "Function memory in MB. An integer from 128 to 10240."
  type        = number
  default     = 512
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the function; also the event source's maximum concurrency. An integer from 2 to 1000."
  type        = number
  default     = 100
}

variable "batch_size" {
  description = "Master-queue messages per invocation. An integer from 1 to 10 (one SendMessageBatch per region)."
  type        = number
  default     = 10
}

variable "maximum_batching_window_in_seconds" {
  description = "How long the event source waits to fill a batch. An integer from 0 to 300."
  type        = number
  default     = 0
}

variable "overload_threshold" {
  description = "Depth (visible plus in flight) at or over which a regional queue gets no more jobs. A positive integer."
  type        = number
  default     = 5000
}

variable "depth_cache_ttl_seconds" {
  description = "How long a function instance reuses the queue depths it read. A number from 0 to 3600."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a CloudWatch Logs retention value, such as 14)."
  type        = number
  default     = 14
}

variable "log_level" {
  description = "Log level of the function: DEBUG, INFO, WARNING or ERROR."
  type        = string
  default     = "INFO"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's metrics (Forwarded, Duplicates, InvalidMessages, ForwardFailures, AllQueuesOverloaded)."
  type        = string
  default     = "GpuOrchestrator"
}

variable "environment" {
  description = "Extra environment variables of the function, merged over the ones this module sets."
  type        = map(string)
  default     = {}
}

variable "alarm_actions" {
  description = "SNS topics the function's error and throttle alarms notify (the ops topic); empty: the alarms only show in the console."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
