variable "aws_region" {
  description = "Region the emulator answers for."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix for every resource name, for several stacks on one emulator. Empty keeps SPEC's names."
  type        = string
  default     = ""
}

variable "lambda_packages_dir" {
  description = "Directory holding the built Lambda zips (api.zip, shutdown.zip, distributor.zip); null means build/lambda in the repository."
  type        = string
  default     = null
}

variable "stand_in_ami_id" {
  description = "AMI of the stand-in GPU instance; any image the emulator knows (moto ships ami-12c6146b)."
  type        = string
  default     = "ami-12c6146b"
}

variable "stand_in_instance_type" {
  description = "Instance type of the stand-in (the real one is a g6e.2xlarge)."
  type        = string
  default     = "g6e.2xlarge"
}

variable "gpu_tag_key" {
  description = "Tag key that marks the GPU instance."
  type        = string
  default     = "Purpose"
}

variable "gpu_tag_value" {
  description = "Value of gpu_tag_key on the GPU instance."
  type        = string
  default     = "GPU-ComfyUI"
}

variable "idle_minutes" {
  description = "Idle window of the power Lambda; short, so a person can watch the GPU stand-in go to sleep."
  type        = number
  default     = 2
}

variable "api_http_api_enabled" {
  description = "Create the API Gateway HTTP API; set TF_VAR_api_http_api_enabled=false on an emulator without API Gateway v2 (LocalStack's free edition)."
  type        = bool
  default     = true
}

variable "distributor_enabled" {
  description = "Run the multi-region mode: the distributor's master queue in front of this region's pool and a second pool (its own queue, power Lambda and stopped stand-in) in second_region."
  type        = bool
  default     = false
}

variable "second_region" {
  description = "Region of the second GPU pool when distributor_enabled is on."
  type        = string
  default     = "us-west-2"
}
