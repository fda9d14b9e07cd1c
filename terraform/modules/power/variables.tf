variable "function_name" {
  description = "Name of the power Lambda."
  type        = string
}

variable "role_arn" {
  description = "ARN of the role the Lambda runs as."
  type        = string
}

variable "package_path" {
  description = "Path of the Lambda's zip (its code, the shared package and their dependencies)."
  type        = string
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

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
