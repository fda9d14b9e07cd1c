# This environment's own variables. The stack's settings are declared in stack_variables.tf and
# pool_settings.tf, links to the stack's own files, and passed through unchanged.

variable "aws_region" {
  description = "AWS region of the GPU instance and every resource."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "allowed_account_ids" {
  description = "The AWS accounts this environment may touch; Terraform refuses any other credentials before it reads or changes anything. Null: any."
  type        = list(string)
  default     = null

  validation {
    condition     = var.allowed_account_ids == null || alltrue([for id in coalesce(var.allowed_account_ids, []) : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must hold 12-digit AWS account ids."
  }
}

variable "assume_role" {
  description = "A role Terraform assumes for every call (e.g. a deployment role in the target account), with an optional external id and session name; null uses the credentials as they are."
  type = object({
    role_arn     = string
    external_id  = optional(string)
    session_name = optional(string, "gpu-orchestrator-terraform")
  })
  default = null

  validation {
    condition     = var.assume_role == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", try(var.assume_role.role_arn, "")))
    error_message = "assume_role.role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME)."
  }
}

variable "tags" {
  description = "Tags added to every resource (the provider's default tags)."
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

variable "second_pool" {
  description = "A second GPU pool in another region, which turns the distributor on: its region and its instance, adopted (gpu_instance_id) or created (ami_id, a GPU AMI of that region, and subnet_id), with VPC endpoints when its subnet has no NAT. It takes the other gpu, host, power, queue and lambda settings of this region's pool. Null (the default) keeps the single-region system."
  type = object({
    region          = string
    gpu_instance_id = optional(string)
    ami_id          = optional(string)
    subnet_id       = optional(string)
    vpc_endpoints = optional(object({
      subnet_ids      = list(string)
      route_table_ids = optional(list(string), [])
      services        = optional(list(string), ["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"])
    }))
  })
  default = null

  validation {
    condition     = var.second_pool == null || (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", try(var.second_pool.region, ""))) && try(var.second_pool.region, "") != var.aws_region)
    error_message = "second_pool.region must be an AWS region name other than aws_region."
  }
}
