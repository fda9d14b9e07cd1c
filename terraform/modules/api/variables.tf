variable "function_name" {
  description = "Name of the API Lambda."
  type        = string
}

variable "api_name" {
  description = "Name of the HTTP API."
  type        = string
}

variable "role_arn" {
  description = "ARN of the role the Lambda runs as."
  type        = string
}

variable "package_path" {
  description = "Path of the Lambda's zip (the API, the shared package and their dependencies)."
  type        = string
}

variable "handler" {
  description = "Handler of the Lambda, module.function."
  type        = string
  default     = "services.api.lambda_handler.lambda_handler"
}

variable "runtime" {
  description = "Lambda runtime; the package's dependencies are built for it."
  type        = string
  default     = "python3.11"
}

variable "memory_size" {
  description = "Memory of the Lambda in MB. An integer from 128 to 10240."
  type        = number
  default     = 512
}

variable "timeout" {
  description = "Timeout of the Lambda in seconds; the gateway waits at most 30."
  type        = number
  default     = 15
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the API Lambda; caps its load on the account. -1 removes the reservation."
  type        = number
  default     = 50
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "environment" {
  description = "Environment variables of the Lambda (resource names and API settings)."
  type        = map(string)
}

variable "http_api_enabled" {
  description = "Put the API Gateway HTTP API in front of the Lambda. Off only for emulators without API Gateway v2."
  type        = bool
  default     = true
}

variable "route_keys" {
  description = "Routes sent to the Lambda, as \"METHOD /path\"; $default is always added."
  type        = list(string)
  default = [
    "POST /api/v1/camera-angle/jobs",
    "POST /api/v1/qwen-image-edit/jobs",
    "GET /api/v1/jobs/{job_id}",
    "GET /api/v1/camera-angle/jobs/{job_id}",
    "GET /api/v1/qwen-image-edit/jobs/{job_id}",
    "GET /health",
  ]
}

variable "throttling_burst_limit" {
  description = "Requests the stage accepts in a burst before answering 429."
  type        = number
  default     = 100
}

variable "throttling_rate_limit" {
  description = "Steady requests per second the stage accepts before answering 429."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "Days the Lambda's and the access logs are kept."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the log groups; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Custom domain of the API (e.g. gpu-api.example.com); null uses the generated endpoint only."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name, in the API's region; the domain is made only when both are set."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
