# What a platform team sets, in a few groups; every attribute of a group is optional but
# gpu.instance_id, and the defaults are the names and settings of the first deployment (made by
# hand; terraform/README.md says how to adopt it), so a plain apply reproduces it.
#
# environments/aws shares this file (its stack_variables.tf is a link to it) and passes each
# variable through. The groups gpu, queue, power and lambda are in pool_settings.tf, a link to
# modules/gpu_pool/settings.tf: the stack passes them to its own pool unchanged.

variable "name_prefix" {
  description = "Prefix for every resource name, so a second environment fits in the same account (e.g. \"staging-\"). Empty keeps the default names. Lower-case letters, digits and hyphens, up to 20 characters."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9-]{0,20}$", var.name_prefix))
    error_message = "name_prefix may hold only lower-case letters, digits and hyphens, at most 20 characters (e.g. \"staging-\")."
  }
}

variable "build" {
  description = "The project's build for the GPU hosts: publish it (the wheel `make package` builds, uploaded to a builds bucket and named in each pool's build parameter; false only on an emulator, where no host installs it) and the directory that holds it (null: build/wheel in the repository)."
  type = object({
    enabled   = optional(bool, true)
    wheel_dir = optional(string)
  })
  default  = {}
  nullable = false
}

variable "network" {
  description = "A VPC for this region's GPU host, made only when asked (create_vpc; otherwise gpu.subnet_id names an existing private subnet): its address range, its availability zone (null: the region's first; pick one with the GPU type), and how its private subnet reaches AWS and the internet: \"nat\" (a NAT gateway) or \"vpc_endpoints\" (endpoints for the host's AWS APIs, no internet: the host then needs host.models_s3_uri and host.pip_index_url)."
  type = object({
    create_vpc        = optional(bool, false)
    cidr_block        = optional(string, "10.42.0.0/16")
    availability_zone = optional(string)
    egress            = optional(string, "nat")
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["nat", "vpc_endpoints"], var.network.egress)
    error_message = "network.egress must be \"nat\" or \"vpc_endpoints\"."
  }

  validation {
    condition     = var.gpu.ami_id == null || var.gpu.subnet_id != null || var.network.create_vpc
    error_message = "A created GPU instance (gpu.ami_id) needs a private subnet: gpu.subnet_id, or network = { create_vpc = true }."
  }
}

variable "kms_key_arn" {
  description = "A customer-managed KMS key of the stack's region for the task table, the results bucket, the build bucket, the home pool's task queue and dead-letter queue and the distributor's queues; null keeps DynamoDB's, S3's and SQS's own encryption. The roles that touch them may then use the key (kms:GenerateDataKey, kms:Decrypt, and kms:DescribeKey for the table) through DynamoDB, SQS and S3 only, each only through the services it uses; the key policy must allow the account to delegate that to IAM. Pools in other regions keep SQS-managed encryption for their queues (a key serves its own region) and use the key only through DynamoDB and S3 of the stack's region."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "ops" {
  description = "Operations: the addresses mailed by the ops topic that every alarm notifies (each confirms its subscription), the 5xx answers of the API in 5 minutes above which it alarms, an optional monthly cost budget in USD (notified at 80 % spent and 100 % forecast), and a KMS key for the topic (its key policy must let CloudWatch and Budgets use it)."
  type = object({
    emails             = optional(list(string), [])
    api_5xx_threshold  = optional(number, 0)
    monthly_budget_usd = optional(number)
    topic_kms_key_arn  = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for e in var.ops.emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "ops.emails must hold e-mail addresses."
  }

  validation {
    condition     = var.ops.api_5xx_threshold >= 0 && floor(var.ops.api_5xx_threshold) == var.ops.api_5xx_threshold
    error_message = "ops.api_5xx_threshold must be an integer of at least 0."
  }

  validation {
    condition     = var.ops.monthly_budget_usd == null || try(var.ops.monthly_budget_usd > 0, false)
    error_message = "ops.monthly_budget_usd must be null or a positive amount of USD."
  }
}

variable "table" {
  description = "The task table and the API key table: refuse to delete them until deletion_protection is turned off (keep it on AWS), and keep continuous backups (point-in-time recovery, also of the distributor's table)."
  type = object({
    deletion_protection    = optional(bool, true)
    point_in_time_recovery = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "results" {
  description = "The results bucket: days a result is kept, whether destroy may delete it with its objects (keep false on AWS), and whether a bucket policy denies non-TLS requests (keep true on AWS; an emulator on plain http needs false)."
  type = object({
    retention_days          = optional(number, 30)
    force_destroy           = optional(bool, false)
    deny_insecure_transport = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.results.retention_days >= 1 && var.results.retention_days <= 3650 && floor(var.results.retention_days) == var.results.retention_days
    error_message = "results.retention_days must be an integer from 1 to 3650."
  }
}

variable "api" {
  description = "The API: whether an API Gateway HTTP API fronts the Lambda (keep true on AWS; false only for emulators without API Gateway v2), the Lambda's memory (MB), timeout (s; the HTTP API waits at most 30) and reserved concurrency (-1: none), the requests per second and burst beyond which it answers 429, an optional custom domain with its ACM certificate (both, in the stack's region), who may assume its role (add ecs-tasks.amazonaws.com or ec2.amazonaws.com to run it on a server), and extra environment variables (e.g. MAX_CONTENT_LENGTH; they override the computed ones)."
  type = object({
    http_api_enabled       = optional(bool, true)
    memory_size            = optional(number, 512)
    timeout                = optional(number, 29)
    reserved_concurrency   = optional(number, 50)
    throttling_rate_limit  = optional(number, 50)
    throttling_burst_limit = optional(number, 100)
    domain_name            = optional(string)
    certificate_arn        = optional(string)
    trusted_services       = optional(list(string), ["lambda.amazonaws.com"])
    environment            = optional(map(string), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.api.memory_size >= 128 && var.api.memory_size <= 10240 && floor(var.api.memory_size) == var.api.memory_size
    error_message = "api.memory_size must be an integer from 128 to 10240."
  }

  validation {
    condition     = var.api.timeout >= 1 && var.api.timeout <= 30 && floor(var.api.timeout) == var.api.timeout
    error_message = "api.timeout must be an integer from 1 to 30 (the HTTP API waits at most 30 s)."
  }

  validation {
    condition     = var.api.reserved_concurrency == -1 || (var.api.reserved_concurrency >= 1 && floor(var.api.reserved_concurrency) == var.api.reserved_concurrency)
    error_message = "api.reserved_concurrency must be -1 or a positive integer."
  }

  validation {
    condition     = var.api.throttling_rate_limit >= 1 && var.api.throttling_rate_limit <= 10000 && var.api.throttling_burst_limit >= 1 && var.api.throttling_burst_limit <= 5000 && floor(var.api.throttling_burst_limit) == var.api.throttling_burst_limit
    error_message = "api.throttling_rate_limit must be from 1 to 10000 and api.throttling_burst_limit an integer from 1 to 5000."
  }

  validation {
    condition     = var.api.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.api.domain_name))
    error_message = "api.domain_name must be a lower-case DNS name such as gpu-api.example.com."
  }

  validation {
    condition     = (var.api.domain_name == null) == (var.api.certificate_arn == null) && (var.api.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.api.certificate_arn)))
    error_message = "api.domain_name and api.certificate_arn go together: a custom domain needs an ACM certificate ARN (arn:aws:acm:...) for it in the stack's region."
  }

  validation {
    condition     = length(var.api.trusted_services) > 0 && alltrue([for s in var.api.trusted_services : endswith(s, ".amazonaws.com")])
    error_message = "api.trusted_services must list at least one AWS service principal such as lambda.amazonaws.com."
  }

  validation {
    condition     = alltrue([for key in keys(var.api.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key)) && !startswith(key, "AWS_") && !startswith(key, "LAMBDA_")])
    error_message = "api.environment keys must be letters, digits and underscores, starting with a letter, and not start with AWS_ or LAMBDA_ (Lambda reserves those)."
  }
}

variable "distributor" {
  description = "The distributor, on when there are pools in other regions (remote_pools): the depth (visible plus in flight) at or over which a pool's queue gets no more jobs, the reserved concurrency of its Lambda (100 by default), and whether the master queue's event source mapping is enabled (keep true on AWS; false on an emulator that cannot run Lambda functions, where a local loop feeds the function)."
  type = object({
    overload_threshold   = optional(number, 5000)
    reserved_concurrency = optional(number, 100)
    event_source_enabled = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.distributor.overload_threshold >= 1 && floor(var.distributor.overload_threshold) == var.distributor.overload_threshold
    error_message = "distributor.overload_threshold must be a positive integer."
  }

  validation {
    condition     = var.distributor.reserved_concurrency >= 2 && var.distributor.reserved_concurrency <= 1000 && floor(var.distributor.reserved_concurrency) == var.distributor.reserved_concurrency
    error_message = "distributor.reserved_concurrency must be an integer from 2 to 1000."
  }
}

variable "webhooks" {
  description = "The webhook delivery: attempts at one delivery per invocation and seconds a receiver has per attempt, the age after which a failing event is dropped (logged and counted), the Lambda's timeout (s) and reserved concurrency (-1: none), whether receivers on loopback (http:// too) are accepted, which only a deployment on one machine (the emulator) may want, and whether an event source mapping feeds the task table's stream to the Lambda (keep true on AWS; false only on an emulator that cannot run Lambda functions, where local/webhook_stream.py reads the stream)."
  type = object({
    attempts                  = optional(number, 3)
    receiver_timeout_seconds  = optional(number, 10)
    maximum_event_age_seconds = optional(number, 3600)
    timeout                   = optional(number, 120)
    reserved_concurrency      = optional(number, -1)
    allow_loopback            = optional(bool, false)
    stream_mapping            = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.webhooks.attempts >= 1 && var.webhooks.attempts <= 10 && floor(var.webhooks.attempts) == var.webhooks.attempts
    error_message = "webhooks.attempts must be an integer from 1 to 10."
  }

  validation {
    condition     = var.webhooks.receiver_timeout_seconds > 0 && var.webhooks.receiver_timeout_seconds <= 60 && var.webhooks.maximum_event_age_seconds >= 60
    error_message = "webhooks.receiver_timeout_seconds must be more than 0 and at most 60, and webhooks.maximum_event_age_seconds at least 60."
  }

  validation {
    condition     = var.webhooks.timeout >= var.webhooks.attempts * var.webhooks.receiver_timeout_seconds + 10 && var.webhooks.timeout <= 900 && floor(var.webhooks.timeout) == var.webhooks.timeout
    error_message = "webhooks.timeout must be an integer of at most 900 and leave room for every attempt at one delivery: at least attempts * receiver_timeout_seconds + 10."
  }

  validation {
    condition     = var.webhooks.reserved_concurrency == -1 || (var.webhooks.reserved_concurrency >= 1 && floor(var.webhooks.reserved_concurrency) == var.webhooks.reserved_concurrency)
    error_message = "webhooks.reserved_concurrency must be -1 or a positive integer."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics (POWERTOOLS_METRICS_NAMESPACE of every service); the dashboard reads it."
  type        = string
  default     = "GpuOrchestrator"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1 to 255 letters, digits or . _ / # : - and must not start with AWS/."
  }
}

variable "names" {
  description = "Names of the resources, before name_prefix; the defaults are the first deployment's. The task queue's DLQ is <task_queue>_dlq; a null results_bucket makes a unique one from the account id, gpu-orchestrator-results-<account>."
  type = object({
    task_queue           = optional(string, "gpu_tasks_queue")
    task_table           = optional(string, "task_store")
    api_key_table        = optional(string, "gpu-orchestrator-api-keys")
    results_bucket       = optional(string)
    api                  = optional(string, "gpu-orchestrator-api")
    api_function         = optional(string, "gpu-orchestrator-api")
    api_role             = optional(string, "gpu-orchestrator-task-role")
    gpu_instance_role    = optional(string, "gpu-instance-role")
    gpu_instance_profile = optional(string, "gpu-instance-profile")
    power_function       = optional(string, "shutdown-gpu-lambda")
    power_role           = optional(string, "lambda-gpu-shutdown-role")
    power_topic          = optional(string, "gpu-shutdown-alerts")
    power_alarm          = optional(string, "QueueEmptyFor30Min")
    power_schedule       = optional(string, "gpu-power-recheck")
    webhook_function     = optional(string, "gpu-orchestrator-webhooks")
    webhook_role         = optional(string, "gpu-orchestrator-webhook-role")
    dashboard            = optional(string, "gpu-orchestrator")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.names.task_queue)) && can(regex("^[A-Za-z0-9_.-]{3,200}$", var.names.task_table))
    error_message = "names.task_queue must be 1 to 60 letters, digits, hyphens or underscores (the DLQ adds a suffix), and names.task_table 3 to 200 letters, digits, underscores, hyphens or dots."
  }

  validation {
    condition     = var.names.results_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$", coalesce(var.names.results_bucket, "-")))
    error_message = "names.results_bucket must be 3 to 42 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = alltrue([for name in [var.names.api_role, var.names.gpu_instance_role, var.names.gpu_instance_profile, var.names.power_role] : can(regex("^[A-Za-z0-9+=,.@_-]{1,44}$", name))])
    error_message = "names.api_role, gpu_instance_role, gpu_instance_profile and power_role must be 1 to 44 letters, digits or +=,.@_- (IAM allows 64, less room for name_prefix)."
  }

  validation {
    condition     = alltrue([for name in [var.names.api_function, var.names.power_function] : can(regex("^[A-Za-z0-9_-]{1,44}$", name))])
    error_message = "names.api_function and names.power_function must be 1 to 44 letters, digits, hyphens or underscores (Lambda allows 64, less room for name_prefix and the error alarm's suffix)."
  }
}
