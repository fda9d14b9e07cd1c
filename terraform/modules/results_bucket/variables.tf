variable "name" {
  description = "Globally unique bucket name."
  type        = string
}

variable "result_retention_days" {
  description = "Days after which a result object expires. An integer of at least 1."
  type        = number
  default     = 30
}

variable "upload_retention_days" {
  description = "Days after which an uploaded input image expires; null: result_retention_days."
  type        = number
  default     = null
}

variable "noncurrent_retention_days" {
  description = "Days after which an overwritten or deleted result version is removed. An integer of at least 1."
  type        = number
  default     = 7
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SSE-KMS; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "deny_insecure_transport" {
  description = "Attach a bucket policy that denies requests not made over TLS. Only an emulator serving plain http needs false."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
