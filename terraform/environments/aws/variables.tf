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
  description = "A second GPU pool in another region, which turns the distributor on: {region, gpu_instance_id}. It takes the same gpu, power, queue and lambda settings as this region's pool. Null (the default) keeps the single-region system."
  type = object({
    region          = string
    gpu_instance_id = string
  })
  default = null

  validation {
    condition     = var.second_pool == null || (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", try(var.second_pool.region, ""))) && try(var.second_pool.region, "") != var.aws_region)
    error_message = "second_pool.region must be an AWS region name other than aws_region."
  }
}
