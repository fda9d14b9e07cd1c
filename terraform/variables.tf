# Inputs of the whole system. Defaults are the names and settings of SPEC section 5, so a plain
# apply reproduces the deployed design; `name_prefix` makes a second environment in one account.

# --- Provider and environment ---------------------------------------------------------------

variable "aws_region" {
  description = "AWS region for every resource, e.g. us-east-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "skip_credentials_validation" {
  description = "Skip the STS credential check when the provider starts. Only for emulators; false on AWS."
  type        = bool
  default     = false

  validation {
    condition     = var.skip_credentials_validation != null
    error_message = "skip_credentials_validation must be true or false."
  }
}

variable "skip_requesting_account_id" {
  description = "Do not ask STS/IAM for the account id. Only for emulators; false on AWS."
  type        = bool
  default     = false

  validation {
    condition     = var.skip_requesting_account_id != null
    error_message = "skip_requesting_account_id must be true or false."
  }
}

variable "skip_metadata_api_check" {
  description = "Do not look for credentials in the EC2 instance metadata service. Only for emulators; false on AWS."
  type        = bool
  default     = false

  validation {
    condition     = var.skip_metadata_api_check != null
    error_message = "skip_metadata_api_check must be true or false."
  }
}

variable "s3_use_path_style" {
  description = "Address S3 buckets by path instead of by host name. Only for emulators; false on AWS."
  type        = bool
  default     = false

  validation {
    condition     = var.s3_use_path_style != null
    error_message = "s3_use_path_style must be true or false."
  }
}

variable "name_prefix" {
  description = "Prefix for every resource name, so a second environment fits in the same account (e.g. \"staging-\"). Empty keeps SPEC's names. Lower-case letters, digits and hyphens, up to 20 characters."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9-]{0,20}$", var.name_prefix))
    error_message = "name_prefix may hold only lower-case letters, digits and hyphens, at most 20 characters (e.g. \"staging-\")."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default = {
    Project   = "gpu-orchestrator"
    ManagedBy = "terraform"
  }

  validation {
    condition     = alltrue([for key in keys(var.tags) : length(key) <= 128 && !startswith(lower(key), "aws:")])
    error_message = "tags keys must be at most 128 characters and must not start with aws: (reserved by AWS)."
  }
}

# --- Task queue -----------------------------------------------------------------------------

variable "task_queue_name" {
  description = "Name of the task queue (before name_prefix)."
  type        = string
  default     = "gpu_tasks_queue"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.task_queue_name))
    error_message = "task_queue_name must be 1 to 60 letters, digits, hyphens or underscores (SQS names; the DLQ adds a suffix)."
  }
}

variable "task_queue_visibility_timeout_seconds" {
  description = "How long a received task stays hidden from other workers. An integer from 0 to 43200. Null: 300, or the design's 3600 for regional queues when the distributor is on (the task queue is then this region's pool queue)."
  type        = number
  default     = null

  validation {
    condition     = var.task_queue_visibility_timeout_seconds == null || (coalesce(var.task_queue_visibility_timeout_seconds, 0) >= 0 && coalesce(var.task_queue_visibility_timeout_seconds, 0) <= 43200 && floor(coalesce(var.task_queue_visibility_timeout_seconds, 0)) == coalesce(var.task_queue_visibility_timeout_seconds, 0))
    error_message = "task_queue_visibility_timeout_seconds must be an integer from 0 to 43200."
  }
}

variable "task_queue_receive_wait_time_seconds" {
  description = "Long-poll wait of ReceiveMessage. An integer from 0 to 20."
  type        = number
  default     = 20

  validation {
    condition     = var.task_queue_receive_wait_time_seconds >= 0 && var.task_queue_receive_wait_time_seconds <= 20 && floor(var.task_queue_receive_wait_time_seconds) == var.task_queue_receive_wait_time_seconds
    error_message = "task_queue_receive_wait_time_seconds must be an integer from 0 to 20."
  }
}

variable "task_queue_message_retention_seconds" {
  description = "How long the task queue keeps a message. An integer from 60 to 1209600."
  type        = number
  default     = 86400

  validation {
    condition     = var.task_queue_message_retention_seconds >= 60 && var.task_queue_message_retention_seconds <= 1209600 && floor(var.task_queue_message_retention_seconds) == var.task_queue_message_retention_seconds
    error_message = "task_queue_message_retention_seconds must be an integer from 60 to 1209600 (14 days)."
  }
}

variable "task_queue_max_receive_count" {
  description = "Receives of a task message before it moves to the DLQ. An integer from 1 to 1000."
  type        = number
  default     = 3

  validation {
    condition     = var.task_queue_max_receive_count >= 1 && var.task_queue_max_receive_count <= 1000 && floor(var.task_queue_max_receive_count) == var.task_queue_max_receive_count
    error_message = "task_queue_max_receive_count must be an integer from 1 to 1000."
  }
}

# --- Task table -----------------------------------------------------------------------------

variable "task_table_name" {
  description = "Name of the task table (before name_prefix)."
  type        = string
  default     = "task_store"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,200}$", var.task_table_name))
    error_message = "task_table_name must be 3 to 200 letters, digits, underscores, hyphens or dots."
  }
}

variable "task_table_deletion_protection" {
  description = "Refuse to delete the task table until this is turned off. Recommended on AWS."
  type        = bool
  default     = true

  validation {
    condition     = var.task_table_deletion_protection != null
    error_message = "task_table_deletion_protection must be true or false."
  }
}

variable "task_table_point_in_time_recovery" {
  description = "Keep continuous backups of the task table."
  type        = bool
  default     = true

  validation {
    condition     = var.task_table_point_in_time_recovery != null
    error_message = "task_table_point_in_time_recovery must be true or false."
  }
}

# --- Results bucket -------------------------------------------------------------------------

variable "results_bucket_name" {
  description = "Name of the results bucket (before name_prefix). Null makes a unique one from the account id: gpu-orchestrator-results-<account>."
  type        = string
  default     = null

  validation {
    condition     = var.results_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$", var.results_bucket_name))
    error_message = "results_bucket_name must be 3 to 42 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "result_retention_days" {
  description = "Days a result image is kept before it expires. An integer from 1 to 3650."
  type        = number
  default     = 30

  validation {
    condition     = var.result_retention_days >= 1 && var.result_retention_days <= 3650 && floor(var.result_retention_days) == var.result_retention_days
    error_message = "result_retention_days must be an integer from 1 to 3650."
  }
}

variable "results_bucket_force_destroy" {
  description = "Let destroy delete the results bucket with its objects. Keep false on AWS."
  type        = bool
  default     = false

  validation {
    condition     = var.results_bucket_force_destroy != null
    error_message = "results_bucket_force_destroy must be true or false."
  }
}

variable "results_bucket_deny_insecure_transport" {
  description = "Deny non-TLS requests to the results bucket by bucket policy. Keep true on AWS; an emulator on plain http needs false."
  type        = bool
  default     = true

  validation {
    condition     = var.results_bucket_deny_insecure_transport != null
    error_message = "results_bucket_deny_insecure_transport must be true or false."
  }
}

variable "input_bucket_names" {
  description = "Buckets the worker may read input images from (s3:// image URLs)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.input_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))])
    error_message = "input_bucket_names must hold S3 bucket names: 3 to 63 lower-case letters, digits, dots or hyphens."
  }
}

# --- GPU instance and IAM -------------------------------------------------------------------

variable "gpu_instance_id" {
  description = "Id of the existing GPU instance that runs ComfyUI and the worker (e.g. i-0f0f6fd680921de5f)."
  type        = string

  validation {
    condition     = can(regex("^i-([0-9a-f]{8}|[0-9a-f]{17})$", var.gpu_instance_id))
    error_message = "gpu_instance_id must be an EC2 instance id: i- followed by 8 or 17 hexadecimal digits."
  }
}

variable "gpu_tag_key" {
  description = "Tag key that marks the GPU instance; starting and stopping are allowed only on instances that carry it."
  type        = string
  default     = "Purpose"

  validation {
    condition     = length(var.gpu_tag_key) >= 1 && length(var.gpu_tag_key) <= 128 && !startswith(lower(var.gpu_tag_key), "aws:")
    error_message = "gpu_tag_key must be 1 to 128 characters and must not start with aws:."
  }
}

variable "gpu_tag_value" {
  description = "Value of gpu_tag_key on the GPU instance."
  type        = string
  default     = "GPU-ComfyUI"

  validation {
    condition     = length(var.gpu_tag_value) >= 1 && length(var.gpu_tag_value) <= 256
    error_message = "gpu_tag_value must be 1 to 256 characters."
  }
}

variable "manage_gpu_instance_tag" {
  description = "Put the gpu_tag_key=gpu_tag_value tag on the existing GPU instance (off when it is tagged already)."
  type        = bool
  default     = false

  validation {
    condition     = var.manage_gpu_instance_tag != null
    error_message = "manage_gpu_instance_tag must be true or false."
  }
}

variable "api_role_name" {
  description = "Name of the API's role (before name_prefix)."
  type        = string
  default     = "gpu-orchestrator-task-role"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,44}$", var.api_role_name))
    error_message = "api_role_name must be 1 to 44 letters, digits or +=,.@_- (IAM allows 64, less room for name_prefix)."
  }
}

variable "api_trusted_services" {
  description = "Service principals that may assume the API role; add ecs-tasks.amazonaws.com or ec2.amazonaws.com to run the API on a server."
  type        = list(string)
  default     = ["lambda.amazonaws.com"]

  validation {
    condition     = length(var.api_trusted_services) > 0 && alltrue([for s in var.api_trusted_services : endswith(s, ".amazonaws.com")])
    error_message = "api_trusted_services must list at least one AWS service principal such as lambda.amazonaws.com."
  }
}

variable "gpu_instance_role_name" {
  description = "Name of the GPU worker's role (before name_prefix)."
  type        = string
  default     = "gpu-instance-role"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,44}$", var.gpu_instance_role_name))
    error_message = "gpu_instance_role_name must be 1 to 44 letters, digits or +=,.@_- (IAM allows 64, less room for name_prefix)."
  }
}

variable "gpu_instance_profile_name" {
  description = "Name of the GPU worker's instance profile (before name_prefix)."
  type        = string
  default     = "gpu-instance-profile"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,44}$", var.gpu_instance_profile_name))
    error_message = "gpu_instance_profile_name must be 1 to 44 letters, digits or +=,.@_- (IAM allows 64, less room for name_prefix)."
  }
}

variable "shutdown_role_name" {
  description = "Name of the power Lambda's role (before name_prefix)."
  type        = string
  default     = "lambda-gpu-shutdown-role"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,44}$", var.shutdown_role_name))
    error_message = "shutdown_role_name must be 1 to 44 letters, digits or +=,.@_- (IAM allows 64, less room for name_prefix)."
  }
}

# --- Lambda functions -----------------------------------------------------------------------

variable "lambda_packages_dir" {
  description = "Directory holding the Lambda zips built by scripts/build_lambda_packages.py (api.zip, shutdown.zip, distributor.zip). Null means build/lambda in the repository."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_packages_dir == null || trimspace(coalesce(var.lambda_packages_dir, "-")) != ""
    error_message = "lambda_packages_dir must be null or a directory path."
  }
}

variable "lambda_runtime" {
  description = "Python runtime of the Lambdas; the packages' dependencies are built for python3.11."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.11"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.11, the version the packages are built for (scripts/build_lambda_packages.py)."
  }
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing of the Lambdas: PassThrough (no cost) or Active."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.lambda_tracing_mode)
    error_message = "lambda_tracing_mode must be PassThrough or Active."
  }
}

variable "log_retention_days" {
  description = "Days the Lambdas' and the API's logs are kept. One of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics (POWERTOOLS_METRICS_NAMESPACE); the dashboard reads it."
  type        = string
  default     = "GpuOrchestrator"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1 to 255 letters, digits or . _ / # : - and must not start with AWS/."
  }
}

variable "api_function_name" {
  description = "Name of the API Lambda (before name_prefix)."
  type        = string
  default     = "gpu-orchestrator-api"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,44}$", var.api_function_name))
    error_message = "api_function_name must be 1 to 44 letters, digits, hyphens or underscores (Lambda allows 64, less room for name_prefix)."
  }
}

variable "shutdown_function_name" {
  description = "Name of the power Lambda (before name_prefix)."
  type        = string
  default     = "shutdown-gpu-lambda"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,44}$", var.shutdown_function_name))
    error_message = "shutdown_function_name must be 1 to 44 letters, digits, hyphens or underscores (Lambda allows 64, less room for name_prefix)."
  }
}

# --- Power management -----------------------------------------------------------------------

variable "idle_minutes" {
  description = "Minutes without queued or running work after which the GPU instance is stopped (IDLE_MINUTES). An integer from 1 to 1440."
  type        = number
  default     = 30

  validation {
    condition     = var.idle_minutes >= 1 && var.idle_minutes <= 1440 && floor(var.idle_minutes) == var.idle_minutes
    error_message = "idle_minutes must be an integer from 1 to 1440."
  }
}

variable "job_timeout_minutes" {
  description = "A job's own time limit in minutes (JOB_TIMEOUT_MINUTES); past it the job no longer holds the GPU on. An integer from 1 to 10080."
  type        = number
  default     = 30

  validation {
    condition     = var.job_timeout_minutes >= 1 && var.job_timeout_minutes <= 10080 && floor(var.job_timeout_minutes) == var.job_timeout_minutes
    error_message = "job_timeout_minutes must be an integer from 1 to 10080 (7 days)."
  }
}

variable "shutdown_alarm_name" {
  description = "Name of the queue-empty alarm (before name_prefix)."
  type        = string
  default     = "QueueEmptyFor30Min"

  validation {
    condition     = length(var.shutdown_alarm_name) >= 1 && length(var.shutdown_alarm_name) <= 200
    error_message = "shutdown_alarm_name must be 1 to 200 characters."
  }
}

variable "shutdown_topic_name" {
  description = "Name of the SNS topic the alarm notifies (before name_prefix)."
  type        = string
  default     = "gpu-shutdown-alerts"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,236}$", var.shutdown_topic_name))
    error_message = "shutdown_topic_name must be 1 to 236 letters, digits, hyphens or underscores."
  }
}

variable "shutdown_topic_kms_key_arn" {
  description = "Customer-managed KMS key for the topic; its key policy must let cloudwatch.amazonaws.com use it. Null leaves the topic unencrypted (it carries only alarm state changes)."
  type        = string
  default     = null

  validation {
    condition     = var.shutdown_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.shutdown_topic_kms_key_arn))
    error_message = "shutdown_topic_kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the queue-empty alarm in seconds: 10, 30 or a multiple of 60."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || (var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0)
    error_message = "alarm_period_seconds must be 10, 30 or a multiple of 60."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods the queue must stay empty before the alarm fires. An integer from 1 to 100; period x periods is the design's 30 minutes."
  type        = number
  default     = 6

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 100 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be an integer from 1 to 100."
  }
}

variable "power_schedule_expression" {
  description = "How often the power Lambda re-checks, as an EventBridge schedule expression, e.g. rate(5 minutes). Null: rate(5 minutes), or rate(1 minute) with the distributor, where the re-check is what starts a stopped instance."
  type        = string
  default     = null

  validation {
    condition     = var.power_schedule_expression == null || can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", coalesce(var.power_schedule_expression, "rate(5 minutes)")))
    error_message = "power_schedule_expression must be rate(N minutes|hours|days) or cron(...)."
  }
}

variable "power_schedule_enabled" {
  description = "Run the periodic re-check (recommended: the alarm alone acts only on state changes)."
  type        = bool
  default     = true

  validation {
    condition     = var.power_schedule_enabled != null
    error_message = "power_schedule_enabled must be true or false."
  }
}

variable "shutdown_reserved_concurrency" {
  description = "Reserved concurrency of the power Lambda: 1 serialises power decisions; -1 removes the reservation (for accounts whose concurrency quota is too low to reserve)."
  type        = number
  default     = 1

  validation {
    condition     = var.shutdown_reserved_concurrency == -1 || (var.shutdown_reserved_concurrency >= 1 && floor(var.shutdown_reserved_concurrency) == var.shutdown_reserved_concurrency)
    error_message = "shutdown_reserved_concurrency must be -1 or a positive integer."
  }
}

variable "shutdown_environment" {
  description = "Extra environment variables for the power Lambda (e.g. LOG_LEVEL); they override the computed ones."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.shutdown_environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key)) && !contains(["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "_X_AMZN_TRACE_ID"], key)])
    error_message = "shutdown_environment keys must be letters, digits and underscores, starting with a letter, and not one that Lambda reserves (AWS_REGION, AWS_LAMBDA_*, _HANDLER, ...)."
  }
}

# --- API ------------------------------------------------------------------------------------

variable "api_name" {
  description = "Name of the HTTP API (before name_prefix)."
  type        = string
  default     = "gpu-orchestrator-api"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,108}$", var.api_name))
    error_message = "api_name must be 1 to 108 letters, digits, hyphens or underscores."
  }
}

variable "api_http_api_enabled" {
  description = "Put the API Gateway HTTP API in front of the API Lambda. Keep true on AWS; false only for emulators without API Gateway v2 (LocalStack's free edition)."
  type        = bool
  default     = true

  validation {
    condition     = var.api_http_api_enabled != null
    error_message = "api_http_api_enabled must be true or false."
  }
}

variable "api_memory_size" {
  description = "Memory of the API Lambda in MB. An integer from 128 to 10240."
  type        = number
  default     = 512

  validation {
    condition     = var.api_memory_size >= 128 && var.api_memory_size <= 10240 && floor(var.api_memory_size) == var.api_memory_size
    error_message = "api_memory_size must be an integer from 128 to 10240."
  }
}

variable "api_timeout" {
  description = "Timeout of the API Lambda in seconds. An integer from 1 to 30 (the HTTP API waits at most 30 s)."
  type        = number
  default     = 15

  validation {
    condition     = var.api_timeout >= 1 && var.api_timeout <= 30 && floor(var.api_timeout) == var.api_timeout
    error_message = "api_timeout must be an integer from 1 to 30."
  }
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the API Lambda, a cap on its cost and load; -1 removes the reservation."
  type        = number
  default     = 50

  validation {
    condition     = var.api_reserved_concurrency == -1 || (var.api_reserved_concurrency >= 1 && floor(var.api_reserved_concurrency) == var.api_reserved_concurrency)
    error_message = "api_reserved_concurrency must be -1 or a positive integer."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second the API accepts before answering 429. A number from 1 to 10000."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit >= 1 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be from 1 to 10000."
  }
}

variable "api_throttling_burst_limit" {
  description = "Requests the API accepts in a burst before answering 429. An integer from 1 to 5000."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be an integer from 1 to 5000."
  }
}

variable "api_domain_name" {
  description = "Custom domain of the API, e.g. gpu-api.example.com; null uses the generated endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.api_domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.api_domain_name))
    error_message = "api_domain_name must be a lower-case DNS name such as gpu-api.example.com."
  }
}

variable "api_certificate_arn" {
  description = "ACM certificate for api_domain_name, in aws_region. Required when api_domain_name is set."
  type        = string
  default     = null

  validation {
    condition     = var.api_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.api_certificate_arn))
    error_message = "api_certificate_arn must be an ACM certificate ARN (arn:aws:acm:...)."
  }
}

variable "api_environment" {
  description = "Extra environment variables for the API Lambda (e.g. MAX_CONTENT_LENGTH, GPU_STATE_CACHE_S); they override the computed ones."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.api_environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key)) && !contains(["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "_X_AMZN_TRACE_ID"], key)])
    error_message = "api_environment keys must be letters, digits and underscores, starting with a letter, and not one that Lambda reserves (AWS_REGION, AWS_LAMBDA_*, _HANDLER, ...)."
  }
}

# --- Dashboard ------------------------------------------------------------------------------

variable "dashboard_name" {
  description = "Name of the CloudWatch dashboard (before name_prefix)."
  type        = string
  default     = "gpu-orchestrator"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,235}$", var.dashboard_name))
    error_message = "dashboard_name must be 1 to 235 letters, digits, hyphens or underscores."
  }
}

# ---------------------------------------------------------------- multi-region distributor (SPEC 6)

variable "distributor_enabled" {
  description = "Send jobs to a master queue that the distributor Lambda spreads over the pools' queues (this region's task queue plus distributor_remote_queues), instead of straight to the task queue. See modules/distributor/README.md for when to."
  type        = bool
  default     = false
}

variable "distributor_remote_queues" {
  description = "Queues of the GPU pools in other regions (outputs of modules/gpu_pool), keyed by region. This region's task queue is always one of the distributor's queues."
  type = map(object({
    queue_url = string
    queue_arn = string
  }))
  default = {}

  validation {
    condition     = alltrue([for region in keys(var.distributor_remote_queues) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", region))])
    error_message = "Each key of distributor_remote_queues must be an AWS region name such as us-west-2."
  }
}

variable "distributor_overload_threshold" {
  description = "Depth (visible plus in flight) at or over which a pool's queue gets no more jobs. A positive integer."
  type        = number
  default     = 5000

  validation {
    condition     = var.distributor_overload_threshold >= 1 && floor(var.distributor_overload_threshold) == var.distributor_overload_threshold
    error_message = "distributor_overload_threshold must be a positive integer."
  }
}

variable "distributor_reserved_concurrency" {
  description = "Reserved concurrency of the distributor Lambda (the design's 100). An integer from 2 to 1000."
  type        = number
  default     = 100

  validation {
    condition     = var.distributor_reserved_concurrency >= 2 && var.distributor_reserved_concurrency <= 1000 && floor(var.distributor_reserved_concurrency) == var.distributor_reserved_concurrency
    error_message = "distributor_reserved_concurrency must be an integer from 2 to 1000."
  }
}
