variable "name" {
  description = "Name of the task table."
  type        = string
}

variable "status_index_name" {
  description = "Name of the global secondary index on status (partition) and created_at (sort)."
  type        = string
  default     = "status-created_at-index"
}

variable "tenant_index_name" {
  description = "Name of the global secondary index on tenant (partition) and created_at (sort)."
  type        = string
  default     = "tenant-created_at-index"
}

variable "waiting_index_name" {
  description = "Name of the sparse keys-only index on waiting_tenant (set only on pending rows) and created_at."
  type        = string
  default     = "waiting_tenant-created_at-index"
}

variable "ttl_attribute" {
  description = "Item attribute holding the expiry time in epoch seconds."
  type        = string
  default     = "ttl"
}

variable "point_in_time_recovery" {
  description = "Keep continuous backups for point-in-time recovery."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse DeleteTable until this is turned off."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for encryption at rest; null uses the AWS-managed DynamoDB key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}
