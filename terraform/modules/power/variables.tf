variable "function_name" {
  description = "Name of the power Lambda."
  type        = string
}

variable "role_name" {
  description = "Name of the Lambda's role."
  type        = string
}

variable "packages_dir" {
  description = "Directory holding the built zips (shutdown.zip); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "handler" {
  description = "Handler of the Lambda, module.function."
  type        = string
  default     = "services.shutdown_lambda.handler.lambda_handler"
}

variable "runtime" {
  description = "Lambda runtime; the package's dependencies are built for it."
  type        = string
  default     = "python3.11"
}

variable "memory_size" {
  description = "Memory of the Lambda in MB. An integer from 128 to 10240."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout of the Lambda in seconds. An integer from 1 to 900."
  type        = number
  default     = 60
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; 1 serialises power decisions, -1 removes the reservation."
  type        = number
  default     = 1
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "environment" {
  description = "Environment variables of the Lambda (resource names and the idle window)."
  type        = map(string)
}

variable "log_retention_days" {
  description = "Days the Lambda's logs are kept."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "gpu_instance_arn" {
  description = "ARN of the GPU instance the Lambda may start and stop."
  type        = string
}

variable "change_instance_type" {
  description = "Whether the power Lambda may change the stopped instance's type (to a fallback type when AWS has no capacity for the preferred one)."
  type        = bool
  default     = false
  nullable    = false
}

variable "gpu_tag_key" {
  description = "Tag key the instance must carry to be started or stopped."
  type        = string
  default     = "Purpose"
}

variable "gpu_tag_value" {
  description = "Value of gpu_tag_key the instance must carry."
  type        = string
  default     = "GPU-ComfyUI"
}

variable "task_queue_arn" {
  description = "ARN of the pool's task queue, whose depth and redrive policy the Lambda reads."
  type        = string
}

variable "master_queue_arn" {
  description = "ARN of the distributor's master queue, whose retention the Lambda reads to end pending tasks no message can run any more (the home pool's); null for none."
  type        = string
  default     = null
}

variable "peer_queue_arns" {
  description = "ARNs of the other pools' task queues, whose holding the Lambda reads before it fails a pending task for want of a message (the home pool's, behind the distributor); empty for none."
  type        = list(string)
  default     = []
}

variable "dlq_arns" {
  description = "ARNs of the dead-letter queues the Lambda drains: the pool's, and the distributor's master DLQ for the home pool."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "The customer-managed KMS key of the dead-letter queues (null: SQS-managed encryption); the role may decrypt with it through SQS."
  type        = string
  default     = null
}

variable "task_table_kms_key" {
  description = "The customer-managed KMS key of the task table (null: DynamoDB's own key); the role may then use it through DynamoDB of the key's region (the table's) only."
  type        = string
  default     = null
}

variable "task_table_arn" {
  description = "ARN of the task table: the Lambda reads open tasks and last activity, and fails the rows of dead letters."
  type        = string
}

variable "status_index_arn" {
  description = "ARN of the task table's status index (open tasks by state)."
  type        = string
}

variable "topic_name" {
  description = "Name of the SNS topic the alarm notifies."
  type        = string
}

variable "topic_kms_key_arn" {
  description = "Customer-managed KMS key for the topic (its policy must let CloudWatch use it); null leaves it unencrypted."
  type        = string
  default     = null
}

variable "alarm_name" {
  description = "Name of the queue-empty alarm."
  type        = string
}

variable "queue_name" {
  description = "Name of the task queue the alarm watches."
  type        = string
}

variable "alarm_period_seconds" {
  description = "Period of the alarm's metric in seconds (a multiple of 60)."
  type        = number
  default     = 300
}

variable "alarm_evaluation_periods" {
  description = "Periods the queue must be empty before the alarm fires."
  type        = number
  default     = 6
}

variable "schedule_name" {
  description = "Name of the EventBridge rule that re-checks periodically."
  type        = string
}

variable "schedule_expression" {
  description = "How often the Lambda re-checks, as an EventBridge schedule expression."
  type        = string
  default     = "rate(5 minutes)"
}

variable "schedule_enabled" {
  description = "Run the periodic re-check."
  type        = bool
  default     = true
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
