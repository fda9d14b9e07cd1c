variable "function_name" {
  description = "Name of the API Lambda."
  type        = string
}

variable "api_name" {
  description = "Name of the HTTP API."
  type        = string
}

variable "role_name" {
  description = "Name of the API's role (the stack's default: gpu-orchestrator-task-role)."
  type        = string
}

variable "trusted_services" {
  description = "Service principals that may assume the API's role; add ecs-tasks.amazonaws.com or ec2.amazonaws.com to run the same app on a server."
  type        = list(string)
  default     = ["lambda.amazonaws.com"]
}

variable "packages_dir" {
  description = "Directory holding the built zips (api.zip); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "submit_queue_arn" {
  description = "ARN of the queue the API sends jobs to: the task queue, or the distributor's master queue."
  type        = string
}

variable "task_table_arn" {
  description = "ARN of the task table."
  type        = string
}

variable "status_index_arn" {
  description = "ARN of the task table's status index (job lists)."
  type        = string
}

variable "tenant_index_arn" {
  description = "ARN of the task table's tenant index (a tenant's job list and its count of waiting jobs)."
  type        = string
}

variable "waiting_index_arn" {
  description = "ARN of the task table's waiting index (the count of a tenant's pending jobs)."
  type        = string
}

variable "api_key_table_arn" {
  description = "ARN of the API key table; the API may only GetItem on it."
  type        = string
}

variable "results_bucket_arn" {
  description = "ARN of the results bucket (the API presigns result downloads)."
  type        = string
}

variable "task_table_kms_key" {
  description = "The customer-managed KMS key of the task table (null: the table keeps DynamoDB's own key); the role may then use it through DynamoDB of the key's region only."
  type        = string
  default     = null
}

variable "results_prefix" {
  description = "Key prefix of job results in the results bucket (the results_bucket module's results_prefix): the API presigns downloads of, lists and deletes objects only under it."
  type        = string
  default     = "comfyui-results/"
}

variable "uploads_prefix" {
  description = "Key prefix of input uploads in the results bucket (the results_bucket module's uploads_prefix): the API presigns uploads only under it."
  type        = string
  default     = "uploads/"
}

variable "kms_key_arn" {
  description = "The customer-managed KMS key of the submit queue and the results bucket (null: SQS- and S3-managed encryption); the role may use it through SQS and S3 (to send, and to sign result downloads)."
  type        = string
  default     = null
}

variable "gpu_instance" {
  description = "The GPU instance the API starts when a job arrives (its ARN and the tag it must carry); null when the API wakes no instance (with the distributor, each pool's power run does)."
  type = object({
    arn       = string
    tag_key   = string
    tag_value = string
  })
  default = null
}

variable "gpu_fleet" {
  description = "The pool's Auto Scaling group when the pool is a fleet (its ARN and the tag it must carry): a submit sets its desired capacity from 0 to 1; null when the API wakes no fleet."
  type = object({
    arn       = string
    tag_key   = string
    tag_value = string
  })
  default = null
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
    "GET /api/v1/jobs",
    "GET /api/v1/jobs/{job_id}",
    "POST /api/v1/jobs/{job_id}/cancel",
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
