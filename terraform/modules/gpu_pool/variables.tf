variable "name_prefix" {
  description = "Prefix for every resource name, as in the root module."
  type        = string
  default     = ""
}

variable "gpu_instance_id" {
  description = "Id of the pool's existing GPU instance, in the provider's region."
  type        = string

  validation {
    condition     = can(regex("^i-[0-9a-f]{8,17}$", var.gpu_instance_id))
    error_message = "gpu_instance_id must be an EC2 instance id such as i-0123456789abcdef0."
  }
}

variable "manage_gpu_instance_tag" {
  description = "Put the GPU tag on the instance (off when it is tagged already)."
  type        = bool
  default     = false
}

variable "task_table_name" {
  description = "Name of the home region's task table (root output task_table_name)."
  type        = string
}

variable "task_table_arn" {
  description = "ARN of the home region's task table (root output task_table_arn)."
  type        = string
}

variable "status_index_arn" {
  description = "ARN of the task table's status index (root output task_table_status_index_arn)."
  type        = string
}

variable "task_table_region" {
  description = "Region of the task table (the home region, root output aws_region)."
  type        = string
}

variable "results_bucket_name" {
  description = "Name of the results bucket (root output results_bucket_name)."
  type        = string
}

variable "results_bucket_arn" {
  description = "ARN of the results bucket (root output results_bucket_arn)."
  type        = string
}

variable "input_bucket_arns" {
  description = "ARNs of buckets the pool's worker may read input images from."
  type        = list(string)
  default     = []
}

variable "package_path" {
  description = "Path of the power Lambda's zip (build/lambda/shutdown.zip)."
  type        = string
}

variable "idle_minutes" {
  description = "Idle window after which the pool's GPU instance is stopped. An integer from 1 to 1440."
  type        = number
  default     = 30

  validation {
    condition     = var.idle_minutes >= 1 && var.idle_minutes <= 1440 && floor(var.idle_minutes) == var.idle_minutes
    error_message = "idle_minutes must be an integer from 1 to 1440."
  }
}

variable "job_timeout_minutes" {
  description = "Time limit of one job; a job past it does not hold the instance on. An integer from 1 to 10080."
  type        = number
  default     = 30

  validation {
    condition     = var.job_timeout_minutes >= 1 && var.job_timeout_minutes <= 10080 && floor(var.job_timeout_minutes) == var.job_timeout_minutes
    error_message = "job_timeout_minutes must be an integer from 1 to 10080."
  }
}

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the pool's queue (the design's 3600 s for regional queues)."
  type        = number
  default     = 3600
}

variable "queue_max_receive_count" {
  description = "Receives after which a message moves to the pool's DLQ."
  type        = number
  default     = 3
}

variable "gpu_tag_key" {
  description = "Tag key the GPU instance must carry to be started or stopped."
  type        = string
  default     = "Purpose"
}

variable "gpu_tag_value" {
  description = "Value of gpu_tag_key the GPU instance must carry."
  type        = string
  default     = "GPU-ComfyUI"
}

variable "lambda_runtime" {
  description = "Runtime of the power Lambda."
  type        = string
  default     = "python3.11"
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing mode of the power Lambda: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "shutdown_reserved_concurrency" {
  description = "Reserved concurrency of the power Lambda (1: one decision at a time)."
  type        = number
  default     = 1
}

variable "shutdown_topic_kms_key_arn" {
  description = "KMS key of the alarm topic; null uses the AWS-managed SNS key."
  type        = string
  default     = null
}

variable "alarm_period_seconds" {
  description = "Period of the queue-empty alarm."
  type        = number
  default     = 300
}

variable "alarm_evaluation_periods" {
  description = "Periods the queue must be empty before the alarm fires."
  type        = number
  default     = 6
}

variable "power_schedule_expression" {
  description = "How often the power Lambda re-checks; it is also what starts a stopped instance when the distributor forwards work."
  type        = string
  default     = "rate(1 minute)"
}

variable "power_schedule_enabled" {
  description = "Whether the periodic re-check runs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the power Lambda's logs."
  type        = number
  default     = 30
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the power metrics."
  type        = string
  default     = "GpuOrchestrator"
}

variable "tags" {
  description = "Tags for every resource of the pool."
  type        = map(string)
  default     = {}
}
