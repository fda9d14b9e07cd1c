variable "name" {
  description = "Name of the API key table."
  type        = string
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
