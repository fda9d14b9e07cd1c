# The root module validates every value; these only pass them through.

variable "aws_region" {
  description = "AWS region of the GPU instance and every resource."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix for every resource name (e.g. \"staging-\"); empty keeps the design's names."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default = {
    Project   = "gpu-orchestrator"
    ManagedBy = "terraform"
  }
}

variable "gpu_instance_id" {
  description = "Id of the existing GPU instance running ComfyUI and the worker."
  type        = string
}

variable "manage_gpu_instance_tag" {
  description = "Put the Purpose=GPU-ComfyUI tag on the instance (off when it is tagged already)."
  type        = bool
  default     = false
}

variable "input_bucket_names" {
  description = "Buckets the worker may read input images from (s3:// image URLs)."
  type        = list(string)
  default     = []
}

variable "results_bucket_name" {
  description = "Name of the results bucket; null makes gpu-orchestrator-results-<account id>."
  type        = string
  default     = null
}

variable "lambda_packages_dir" {
  description = "Directory holding the built Lambda zips; null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "idle_minutes" {
  description = "Idle window in minutes before the GPU instance is stopped."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days the Lambdas' and the API's logs are kept."
  type        = number
  default     = 30
}

variable "api_domain_name" {
  description = "Custom domain of the API; null uses the generated endpoint."
  type        = string
  default     = null
}

variable "api_certificate_arn" {
  description = "ACM certificate for api_domain_name, in aws_region."
  type        = string
  default     = null
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the API Lambda; -1 for accounts whose concurrency quota is too low to reserve."
  type        = number
  default     = 50
}

variable "shutdown_reserved_concurrency" {
  description = "Reserved concurrency of the power Lambda (1 serialises decisions); -1 for accounts whose concurrency quota is too low to reserve."
  type        = number
  default     = 1
}

variable "second_pool" {
  description = "A second GPU pool in another region, which turns the distributor on: {region, gpu_instance_id}. Null (the default) keeps the single-region system."
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
