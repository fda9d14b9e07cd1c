variable "bucket_name" {
  description = "Globally unique name of the builds bucket."
  type        = string
}

variable "wheel_dir" {
  description = "Directory holding the one wheel `make package` built (gpu_orchestrator-*.whl); null means build/wheel in the repository."
  type        = string
  default     = null

  validation {
    condition     = var.wheel_dir == null || try(trimspace(var.wheel_dir) != "", false)
    error_message = "wheel_dir must be null or a directory path."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SSE-KMS; null uses SSE-S3 (AES256). The build output carries it, so the hosts' role (modules/gpu_host) may decrypt the wheel with it through S3."
  type        = string
  default     = null
}

variable "deny_insecure_transport" {
  description = "Attach a bucket policy that denies requests not made over TLS. Only an emulator serving plain http needs false."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the bucket and the build."
  type        = map(string)
  default     = {}
}
