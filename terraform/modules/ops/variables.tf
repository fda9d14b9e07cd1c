variable "topic_name" {
  description = "Name of the ops SNS topic."
  type        = string
}

variable "topic_kms_key_arn" {
  description = "KMS key of the topic; null leaves it unencrypted (the AWS-managed SNS key cannot be used: CloudWatch and Budgets could not publish)."
  type        = string
  default     = null
}

variable "emails" {
  description = "Addresses subscribed to the topic (each confirms by mail)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "emails must hold e-mail addresses."
  }
}

variable "name_prefix" {
  description = "Prefix of the alarm and budget names."
  type        = string
  default     = ""
  nullable    = false
}

variable "api_id" {
  description = "Id of the HTTP API whose 5xx answers alarm; null for none."
  type        = string
  default     = null
}

variable "api_id_known" {
  description = "Whether api_id names an HTTP API (known at plan time, unlike the id of one being created)."
  type        = bool
  default     = false
  nullable    = false
}

variable "api_5xx_threshold" {
  description = "5xx answers in 5 minutes above which the API alarm fires. An integer of at least 0."
  type        = number
  default     = 0
  nullable    = false
}

variable "dead_letter_queue_names" {
  description = "Dead-letter queues (other than the pools' own, which each pool alarms on) that alarm when not empty: the distributor's."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "monthly_budget_usd" {
  description = "A monthly cost budget for the account in USD, notified at 80 % spent and at 100 % forecast; null for none."
  type        = number
  default     = null
}

variable "tags" {
  description = "Tags for the topic, the alarms and the budget."
  type        = map(string)
  default     = {}
  nullable    = false
}
