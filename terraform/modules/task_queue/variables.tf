variable "name" {
  description = "Name of the task queue."
  type        = string
}

variable "dlq_name" {
  description = "Name of the dead-letter queue that receives messages after max_receive_count receives."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers. An integer from 0 to 43200."
  type        = number
  default     = 300
}

variable "receive_wait_time_seconds" {
  description = "Long-poll wait of ReceiveMessage. An integer from 0 to 20."
  type        = number
  default     = 20
}

variable "message_retention_seconds" {
  description = "How long the task queue keeps a message. An integer from 60 to 1209600."
  type        = number
  default     = 86400
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message; longer than the queue's so an operator has time to look. An integer from 60 to 1209600."
  type        = number
  default     = 1209600
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the DLQ. An integer from 1 to 1000."
  type        = number
  default     = 3
}

variable "kms_master_key_id" {
  description = "KMS key for server-side encryption; null uses SQS-managed encryption (SSE-SQS)."
  type        = string
  default     = null
}

variable "restrict_dlq_sources" {
  description = "Let only the task queue move messages to the DLQ (a byQueue redrive allow policy). Keep true on AWS; false only for an emulator that does not keep the attribute (moto's server)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for both queues."
  type        = map(string)
  default     = {}
}
