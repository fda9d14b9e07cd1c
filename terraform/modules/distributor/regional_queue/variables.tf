variable "name" {
  description = "Name of the regional queue."
  type        = string
}

variable "dlq_name" {
  description = "Name of its dead-letter queue; null names it <name>_dlq."
  type        = string
  default     = null
}

variable "visibility_timeout_seconds" {
  description = "How long a worker holds a job before it is offered again. An integer from 0 to 43200."
  type        = number
  default     = 3600
}

variable "receive_wait_time_seconds" {
  description = "Long-poll wait of ReceiveMessage. An integer from 0 to 20."
  type        = number
  default     = 20
}

variable "message_retention_seconds" {
  description = "How long the regional queue keeps a job. An integer from 60 to 1209600."
  type        = number
  default     = 86400
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message. An integer from 60 to 1209600."
  type        = number
  default     = 1209600
}

variable "max_receive_count" {
  description = "Receives after which a job moves to the DLQ. An integer from 1 to 1000."
  type        = number
  default     = 3
}

variable "kms_master_key_id" {
  description = "KMS key for server-side encryption; null uses SQS-managed encryption (SSE-SQS). A customer key also needs kms:GenerateDataKey for the distributor role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for both queues."
  type        = map(string)
  default     = {}
}
