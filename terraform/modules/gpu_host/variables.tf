variable "names" {
  description = "Names of the host's resources, in full: the instance's Name tag, its launch template and security group, its log group, the SSM parameters of its settings, wanted build and CloudWatch agent configuration, and its setup document."
  type = object({
    instance           = string
    launch_template    = string
    security_group     = string
    log_group          = string
    settings_parameter = string
    build_parameter    = string
    agent_parameter    = string
    setup_document     = string
  })
}

variable "instance_id" {
  description = "An existing instance to adopt (i- followed by 8 or 17 hexadecimal digits); null creates one from the launch template (launch must be set)."
  type        = string
  default     = null

  validation {
    condition     = var.instance_id == null || can(regex("^i-([0-9a-f]{8}|[0-9a-f]{17})$", coalesce(var.instance_id, "-")))
    error_message = "instance_id must be null or an EC2 instance id: i- followed by 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = (var.instance_id == null) != (var.launch == null)
    error_message = "Give the host either instance_id (adopt an existing instance) or launch (create one from a launch template), not both and not neither."
  }
}

variable "launch" {
  description = "How a created instance is launched (null when adopting one): a GPU AMI of the region, a private subnet, the instance type, the encrypted root volume's size in GiB (an integer from 30 to 16384) and its KMS key (null: the account's EBS key), more security groups, and whether the instance monitors itself at one-minute resolution."
  type = object({
    ami_id              = string
    subnet_id           = string
    instance_type       = optional(string, "g6e.2xlarge")
    root_volume_size_gb = optional(number, 200)
    volume_kms_key_arn  = optional(string)
    security_group_ids  = optional(list(string), [])
    detailed_monitoring = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.launch == null || can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", try(var.launch.ami_id, "")))
    error_message = "launch.ami_id must be an AMI id: ami- followed by 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = var.launch == null || can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", try(var.launch.subnet_id, "")))
    error_message = "launch.subnet_id must be a subnet id: subnet- followed by 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = var.launch == null || can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$", try(var.launch.instance_type, "")))
    error_message = "launch.instance_type must be an EC2 instance type such as g6e.2xlarge."
  }

  validation {
    condition     = var.launch == null || try(var.launch.root_volume_size_gb >= 30 && var.launch.root_volume_size_gb <= 16384 && floor(var.launch.root_volume_size_gb) == var.launch.root_volume_size_gb, false)
    error_message = "launch.root_volume_size_gb must be an integer from 30 to 16384 (ComfyUI, its Python packages and the models need tens of GiB)."
  }

  validation {
    condition     = var.launch == null || try(var.launch.volume_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.launch.volume_kms_key_arn)), false)
    error_message = "launch.volume_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "create_instance" {
  description = "Whether a created host (launch set) launches its one instance from the launch template; false leaves the template to an Auto Scaling group (a fleet), which names its own subnets."
  type        = bool
  default     = true
  nullable    = false
}

variable "instance_profile_name" {
  description = "Instance profile of the pool's worker, attached to a created instance (an adopted one gets it by hand: aws ec2 associate-iam-instance-profile)."
  type        = string
}

variable "role_name" {
  description = "Name of the role in that profile; the host's own policies (settings, build, logs, Session Manager) are attached to it."
  type        = string
}

variable "gpu_tag" {
  description = "The tag that marks the GPU instance (start and stop require it), as {key, value}; a created instance and its volumes carry it."
  type = object({
    key   = string
    value = string
  })
}

variable "settings" {
  description = "The settings of the services on the host (the pool's worker environment), written as one JSON SSM parameter that the worker and the Unified API read at each start."
  type        = map(string)
}

variable "build" {
  description = "The wanted build of the project: the wheel in S3 (bucket, key, its sha256), the version the host compares with what it has, and the customer-managed KMS key the bucket encrypts it with (null: SSE-S3; with a key the role may decrypt with it through S3 only); null when no build is published (an emulator), which leaves out the build parameter, the setup document and the user data."
  type = object({
    bucket      = string
    key         = string
    sha256      = string
    version     = string
    kms_key_arn = optional(string)
  })
  default = null
}

variable "software" {
  description = "What the setup installs besides the project: ComfyUI (git repository, release tag, and the commit the tag must be, when given), where the models come from (null: each workflow's models.json URLs; or an s3:// prefix synced into ComfyUI's models folder, for hosts without internet access), a pip index (null: PyPI), and the user the services run as."
  type = object({
    comfyui_repository = optional(string, "https://github.com/comfyanonymous/ComfyUI.git")
    comfyui_ref        = optional(string, "v0.3.64")
    comfyui_commit     = optional(string)
    models_s3_uri      = optional(string)
    pip_index_url      = optional(string)
    run_user           = optional(string, "ubuntu")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.software.models_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", coalesce(var.software.models_s3_uri, "-")))
    error_message = "software.models_s3_uri must be null or an s3://bucket/prefix URI."
  }

  validation {
    condition     = var.software.comfyui_commit == null || can(regex("^[0-9a-f]{40}$", coalesce(var.software.comfyui_commit, "-")))
    error_message = "software.comfyui_commit must be null or a full 40-character git commit id."
  }

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.software.run_user))
    error_message = "software.run_user must be a Linux user name (lower-case letters, digits, _ and -)."
  }
}

variable "vpc_endpoints" {
  description = "Interface endpoints in the host's VPC for the AWS APIs the host calls (Session Manager, logs, metrics, SQS, SSM), in these subnets, and gateway endpoints for S3 and DynamoDB in these route tables; null when the subnet reaches AWS through a NAT gateway."
  type = object({
    subnet_ids      = list(string)
    route_table_ids = optional(list(string), [])
    services        = optional(list(string), ["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"])
  })
  default = null

  validation {
    condition     = var.vpc_endpoints == null || try(length(var.vpc_endpoints.subnet_ids) > 0, false)
    error_message = "vpc_endpoints.subnet_ids must name at least one subnet."
  }
}

variable "network_ready" {
  description = "An id that must exist before a created instance boots (the NAT gateway or route its setup needs); null for none."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days the host's logs are kept."
  type        = number
  default     = 30
  nullable    = false
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the host's log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "gpu_metrics_namespace" {
  description = "CloudWatch namespace of the GPU utilisation metrics the agent sends (the only namespace the host may put metrics in)."
  type        = string
  default     = "GpuOrchestrator/Host"
  nullable    = false
}

variable "tags" {
  description = "Tags for the host's resources (besides the provider's default tags, which a created instance's volumes also get)."
  type        = map(string)
  default     = {}
  nullable    = false
}
