variable "name" {
  description = "Name of the function; its log group is /aws/lambda/<name> and its error alarm <name>-errors."
  type        = string
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
  default     = null
}

variable "package" {
  description = "Name of the function's zip in packages_dir, without .zip (scripts/build_lambda_packages.py builds api, shutdown and distributor)."
  type        = string
}

variable "packages_dir" {
  description = "Directory holding the built zips; null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "handler" {
  description = "Handler of the function, module.function."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime; the packages' dependencies are built for it."
  type        = string
  default     = "python3.11"
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout of the function in seconds."
  type        = number
  default     = 60
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 removes the reservation."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

variable "tracing_mode" {
  description = "X-Ray tracing: PassThrough (no cost) or Active (the role may then send traces)."
  type        = string
  default     = "PassThrough"
}

variable "log_retention_days" {
  description = "Days the function's logs are kept (a CloudWatch Logs retention value)."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "role_name" {
  description = "Name of the function's IAM role."
  type        = string
}

variable "role_description" {
  description = "Description of the role: what the function may do."
  type        = string
  default     = null
}

variable "trusted_services" {
  description = "Service principals that may assume the role; add ecs-tasks.amazonaws.com or ec2.amazonaws.com when the same code also runs on a server."
  type        = list(string)
  default     = ["lambda.amazonaws.com"]
  nullable    = false
}

variable "policies" {
  description = "Inline policies of the role: policy name -> policy document JSON, one per purpose. The logs (and, with Active tracing, X-Ray) permissions are added by the module."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "error_alarm" {
  description = "The alarms on the function's Errors and Throttles metrics: they fire when more than `threshold` errors (any throttle) fall in `evaluation_periods` periods of `period_seconds`, and notify `actions` (SNS topic ARNs, e.g. the ops topic; none by default, so they only show in the console)."
  type = object({
    threshold          = optional(number, 0)
    period_seconds     = optional(number, 300)
    evaluation_periods = optional(number, 1)
    actions            = optional(list(string), [])
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
