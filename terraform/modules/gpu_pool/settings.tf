# The pool's settings, in six groups. This file is also the stack's (terraform/pool_settings.tf)
# and environments/aws's (pool_settings.tf): links to it, so every pool, this region's and the
# others', takes one type, one set of defaults and one set of ranges.

variable "gpu" {
  description = "The pool's GPU instance and the worker on it. Either adopt an existing instance (instance_id) or create one (ami_id, a GPU AMI of the pool's region, and subnet_id, a private subnet) from a launch template: its type, the types to fall back to when AWS has no capacity for it (the power logic changes a stopped instance's type before it starts it), the encrypted root volume's size in GiB and KMS key (null: the account's EBS key), more security groups, and VPC endpoints for a subnet without NAT. Then the tag that start and stop require, whether to put that tag on an adopted instance, the buckets the worker may read s3:// inputs from, and a job's own time limit."
  type = object({
    instance_id             = optional(string)
    ami_id                  = optional(string)
    subnet_id               = optional(string)
    instance_type           = optional(string, "g6e.2xlarge")
    fallback_instance_types = optional(list(string), [])
    root_volume_size_gb     = optional(number, 200)
    volume_kms_key_arn      = optional(string)
    security_group_ids      = optional(list(string), [])
    vpc_endpoints = optional(object({
      subnet_ids      = list(string)
      route_table_ids = optional(list(string), [])
      services        = optional(list(string), ["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"])
    }))
    tag_key             = optional(string, "Purpose")
    tag_value           = optional(string, "GPU-ComfyUI")
    manage_tag          = optional(bool, false)
    input_bucket_names  = optional(list(string), [])
    job_timeout_minutes = optional(number, 30)
  })
  nullable = false

  validation {
    condition     = (var.gpu.instance_id == null) != (var.gpu.ami_id == null)
    error_message = "gpu needs either instance_id (adopt an existing instance) or ami_id with subnet_id (create one), not both."
  }

  validation {
    condition     = var.gpu.instance_id == null || can(regex("^i-([0-9a-f]{8}|[0-9a-f]{17})$", coalesce(var.gpu.instance_id, "-")))
    error_message = "gpu.instance_id must be an EC2 instance id: i- followed by 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = var.gpu.ami_id == null || can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", coalesce(var.gpu.ami_id, "-")))
    error_message = "gpu.ami_id must be an AMI id: ami- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = var.gpu.subnet_id == null || can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", coalesce(var.gpu.subnet_id, "-")))
    error_message = "gpu.subnet_id must be a subnet id: subnet- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = alltrue([for type in concat([var.gpu.instance_type], var.gpu.fallback_instance_types) : can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$", type))]) && !contains(var.gpu.fallback_instance_types, var.gpu.instance_type)
    error_message = "gpu.instance_type and gpu.fallback_instance_types must be EC2 instance types such as g6e.2xlarge, and the fallbacks must not repeat the preferred type."
  }

  validation {
    condition     = var.gpu.root_volume_size_gb >= 30 && var.gpu.root_volume_size_gb <= 16384 && floor(var.gpu.root_volume_size_gb) == var.gpu.root_volume_size_gb
    error_message = "gpu.root_volume_size_gb must be an integer from 30 to 16384."
  }

  validation {
    condition     = length(var.gpu.tag_key) >= 1 && length(var.gpu.tag_key) <= 128 && !startswith(lower(var.gpu.tag_key), "aws:") && length(var.gpu.tag_value) >= 1 && length(var.gpu.tag_value) <= 256
    error_message = "gpu.tag_key must be 1 to 128 characters not starting with aws:, and gpu.tag_value 1 to 256 characters."
  }

  validation {
    condition     = alltrue([for name in var.gpu.input_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))])
    error_message = "gpu.input_bucket_names must hold S3 bucket names: 3 to 63 lower-case letters, digits, dots or hyphens."
  }

  validation {
    condition     = var.gpu.job_timeout_minutes >= 1 && var.gpu.job_timeout_minutes <= 10080 && floor(var.gpu.job_timeout_minutes) == var.gpu.job_timeout_minutes
    error_message = "gpu.job_timeout_minutes must be an integer from 1 to 10080 (7 days)."
  }
}

variable "host" {
  description = "The software on the pool's GPU host and its logs: ComfyUI's git repository, release tag and (when given) the commit the tag must be; where the models come from (null: each workflow's models.json URLs; an s3://bucket/prefix for hosts without internet access); a pip index (null: PyPI); the user the services run as; and the days the host's logs are kept."
  type = object({
    comfyui_repository = optional(string, "https://github.com/comfyanonymous/ComfyUI.git")
    comfyui_ref        = optional(string, "v0.3.64")
    comfyui_commit     = optional(string)
    models_s3_uri      = optional(string)
    pip_index_url      = optional(string)
    run_user           = optional(string, "ubuntu")
    log_retention_days = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.host.log_retention_days)
    error_message = "host.log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "queue" {
  description = "The pool's task queue: how long a received job stays hidden from other workers (null: 300 s, or 3600 s for a pool behind the distributor), the long-poll wait, how long a job is kept, the receives before a job moves to the dead-letter queue, the age of the oldest waiting job at which the ops alarm fires, and whether each dead-letter queue accepts letters only from its own source queue (a byQueue redrive allow policy; keep true on AWS: moto's server does not keep the attribute, so the local environment sets false)."
  type = object({
    visibility_timeout_seconds = optional(number)
    receive_wait_time_seconds  = optional(number, 20)
    message_retention_seconds  = optional(number, 86400)
    max_receive_count          = optional(number, 3)
    oldest_job_alarm_seconds   = optional(number, 900)
    restrict_dlq_sources       = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.queue.visibility_timeout_seconds == null || try(var.queue.visibility_timeout_seconds >= 0 && var.queue.visibility_timeout_seconds <= 43200 && floor(var.queue.visibility_timeout_seconds) == var.queue.visibility_timeout_seconds, false)
    error_message = "queue.visibility_timeout_seconds must be an integer from 0 to 43200."
  }

  validation {
    condition     = var.queue.receive_wait_time_seconds >= 0 && var.queue.receive_wait_time_seconds <= 20 && floor(var.queue.receive_wait_time_seconds) == var.queue.receive_wait_time_seconds
    error_message = "queue.receive_wait_time_seconds must be an integer from 0 to 20."
  }

  validation {
    condition     = var.queue.message_retention_seconds >= 60 && var.queue.message_retention_seconds <= 1209600 && floor(var.queue.message_retention_seconds) == var.queue.message_retention_seconds
    error_message = "queue.message_retention_seconds must be an integer from 60 to 1209600 (14 days)."
  }

  validation {
    condition     = var.queue.max_receive_count >= 1 && var.queue.max_receive_count <= 1000 && floor(var.queue.max_receive_count) == var.queue.max_receive_count
    error_message = "queue.max_receive_count must be an integer from 1 to 1000."
  }

  validation {
    condition     = var.queue.oldest_job_alarm_seconds >= 60 && floor(var.queue.oldest_job_alarm_seconds) == var.queue.oldest_job_alarm_seconds
    error_message = "queue.oldest_job_alarm_seconds must be an integer of at least 60."
  }
}

variable "power" {
  description = "When the pool's GPU instance is stopped and started: the idle window, the queue-empty alarm (period x periods: 30 minutes by default), the re-check schedule (null: rate(5 minutes), or rate(1 minute) behind the distributor, where the re-check is what starts a stopped instance), the power Lambda's reserved concurrency (1 serialises decisions; -1 for accounts whose quota cannot reserve), a KMS key for the alarm topic, and extra environment variables of the power Lambda (they override the computed ones)."
  type = object({
    idle_minutes             = optional(number, 30)
    alarm_period_seconds     = optional(number, 300)
    alarm_evaluation_periods = optional(number, 6)
    schedule_expression      = optional(string)
    schedule_enabled         = optional(bool, true)
    reserved_concurrency     = optional(number, 1)
    topic_kms_key_arn        = optional(string)
    environment              = optional(map(string), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.power.idle_minutes >= 1 && var.power.idle_minutes <= 1440 && floor(var.power.idle_minutes) == var.power.idle_minutes
    error_message = "power.idle_minutes must be an integer from 1 to 1440."
  }

  validation {
    condition     = contains([10, 30], var.power.alarm_period_seconds) || (var.power.alarm_period_seconds >= 60 && var.power.alarm_period_seconds % 60 == 0)
    error_message = "power.alarm_period_seconds must be 10, 30 or a multiple of 60."
  }

  validation {
    condition     = var.power.alarm_evaluation_periods >= 1 && var.power.alarm_evaluation_periods <= 100 && floor(var.power.alarm_evaluation_periods) == var.power.alarm_evaluation_periods
    error_message = "power.alarm_evaluation_periods must be an integer from 1 to 100."
  }

  validation {
    condition     = var.power.schedule_expression == null || can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.power.schedule_expression))
    error_message = "power.schedule_expression must be rate(N minutes|hours|days) or cron(...)."
  }

  validation {
    condition     = var.power.reserved_concurrency == -1 || (var.power.reserved_concurrency >= 1 && floor(var.power.reserved_concurrency) == var.power.reserved_concurrency)
    error_message = "power.reserved_concurrency must be -1 or a positive integer."
  }

  validation {
    condition     = var.power.topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.power.topic_kms_key_arn))
    error_message = "power.topic_kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }

  validation {
    condition     = alltrue([for key in keys(var.power.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key)) && !startswith(key, "AWS_") && !startswith(key, "LAMBDA_")])
    error_message = "power.environment keys must be letters, digits and underscores, starting with a letter, and not start with AWS_ or LAMBDA_ (Lambda reserves those)."
  }
}

variable "lambda" {
  description = "What every Lambda of the system shares: the directory of the built zips (null: build/lambda in the repository), the runtime the packages are built for, X-Ray tracing (PassThrough costs nothing; Active also lets the roles send traces), and the days logs are kept."
  type = object({
    packages_dir       = optional(string)
    runtime            = optional(string, "python3.11")
    tracing_mode       = optional(string, "PassThrough")
    log_retention_days = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.lambda.packages_dir == null || try(trimspace(var.lambda.packages_dir) != "", false)
    error_message = "lambda.packages_dir must be null or a directory path."
  }

  validation {
    condition     = contains(["python3.11"], var.lambda.runtime)
    error_message = "lambda.runtime must be python3.11, the version the packages are built for (scripts/build_lambda_packages.py)."
  }

  validation {
    condition     = contains(["PassThrough", "Active"], var.lambda.tracing_mode)
    error_message = "lambda.tracing_mode must be PassThrough or Active."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda.log_retention_days)
    error_message = "lambda.log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "fleet" {
  description = "The pool as an EC2 Auto Scaling group from the host's launch template (needs a created host: gpu.ami_id): from 0 to max_size instances, an integer from 1 to 100, where 1 (the default) keeps the single instance without a group. jobs_per_instance: the queued plus running jobs one instance is meant to carry, from 1 to 100 (the power logic scales on it); drain_seconds: how long a terminating or stopping instance's worker has to hand back its messages (the lifecycle hook's heartbeat timeout), from 30 to 7200; subnet_ids: more private subnets for the group besides gpu.subnet_id."
  type = object({
    max_size          = optional(number, 1)
    jobs_per_instance = optional(number, 1)
    drain_seconds     = optional(number, 300)
    subnet_ids        = optional(list(string), [])
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.fleet.max_size >= 1 && var.fleet.max_size <= 100 && floor(var.fleet.max_size) == var.fleet.max_size && var.fleet.jobs_per_instance >= 1 && var.fleet.jobs_per_instance <= 100 && floor(var.fleet.jobs_per_instance) == var.fleet.jobs_per_instance
    error_message = "fleet.max_size and fleet.jobs_per_instance must be integers from 1 to 100."
  }

  validation {
    condition     = var.fleet.drain_seconds >= 30 && var.fleet.drain_seconds <= 7200 && floor(var.fleet.drain_seconds) == var.fleet.drain_seconds
    error_message = "fleet.drain_seconds must be an integer from 30 to 7200."
  }

  validation {
    condition     = var.fleet.max_size == 1 || var.gpu.ami_id != null
    error_message = "A fleet (fleet.max_size above 1) launches from the host's launch template: set gpu.ami_id and gpu.subnet_id instead of adopting gpu.instance_id."
  }

  validation {
    condition     = alltrue([for id in var.fleet.subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "fleet.subnet_ids must hold subnet ids: subnet- and 8 or 17 hexadecimal digits."
  }
}
