# The emulator's own knobs; everything else is the stack's default or set for the emulator in main.tf.

variable "aws_region" {
  description = "Region the emulator answers for."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix for every resource name, for several stacks on one emulator. Empty keeps the default names."
  type        = string
  default     = ""
}

variable "lambda_packages_dir" {
  description = "Directory holding the built Lambda zips (api.zip, shutdown.zip, distributor.zip); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "idle_minutes" {
  description = "Idle window of the power Lambdas; short, so a person can watch the GPU stand-in go to sleep."
  type        = number
  default     = 2
}

variable "api_http_api_enabled" {
  description = "Create the API Gateway HTTP API; set TF_VAR_api_http_api_enabled=false on an emulator without API Gateway v2 (LocalStack's free edition)."
  type        = bool
  default     = true
  nullable    = false
}

variable "distributor_enabled" {
  description = "Run the multi-region mode: a second pool (its own queue, power Lambda and stopped stand-in) in second_region, behind the distributor's master queue."
  type        = bool
  default     = false
  nullable    = false
}

variable "home_distributor" {
  description = "Without distributor_enabled: a distributor whose only pool is this region's task queue, beside the single-region stack (the API still sends to the task queue). The integration tests feed its master queue by hand, so the distributor runs under its own role with IAM enforced on every test run."
  type        = bool
  default     = false
  nullable    = false
}

variable "second_region" {
  description = "Region of the second GPU pool when distributor_enabled is on."
  type        = string
  default     = "us-west-2"
}

variable "stand_in" {
  description = "The stand-in GPU instances: an AMI the emulator knows (moto ships ami-12c6146b) and an instance type (the real one is a g6e.2xlarge)."
  type = object({
    ami_id        = optional(string, "ami-12c6146b")
    instance_type = optional(string, "g6e.2xlarge")
  })
  default  = {}
  nullable = false
}

variable "fleet_max_size" {
  description = "Above 1: the pool is an Auto Scaling group of up to this many created hosts (from stand_in's AMI and type, in the emulator's default subnet) instead of the stopped stand-in; `make up` runs one emulated GPU host per instance of the group. An integer from 1 to 16."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.fleet_max_size >= 1 && var.fleet_max_size <= 16 && floor(var.fleet_max_size) == var.fleet_max_size
    error_message = "fleet_max_size must be an integer from 1 to 16 (the emulated hosts' port ranges)."
  }
}
