variable "name_prefix" {
  description = "Prefix of every default name, as in the stack."
  type        = string
  default     = ""
  nullable    = false
}

variable "names" {
  description = "Names of the pool's resources, in full (name_prefix is not added). A null name defaults to one that carries the pool's region, so pools never collide: <prefix>gpu_tasks_queue_<region>, <prefix>shutdown-gpu-lambda-<region>, ..."
  type = object({
    queue            = optional(string)
    dlq              = optional(string)
    worker_role      = optional(string)
    instance_profile = optional(string)
    power_role       = optional(string)
    power_function   = optional(string)
    power_topic      = optional(string)
    power_alarm      = optional(string)
    power_schedule   = optional(string)
    fleet_group      = optional(string)
  })
  default  = {}
  nullable = false
}

variable "distributed" {
  description = "Whether the pool is one of several behind the distributor: its worker then stamps its pool name (the region) on the tasks it claims and its power logic counts only those, and the queue and schedule defaults are the regional ones. False only for the single pool of a system without the distributor."
  type        = bool
  default     = true
  nullable    = false
}

variable "task_table" {
  description = "The stack's task table, which every pool shares (stack outputs task_table_name, task_table_arn, task_table_status_index_arn, task_table_region), and the customer-managed KMS key that encrypts it (null: DynamoDB's own key); the worker's and power Lambda's roles may then use that key through DynamoDB of the table's region."
  type = object({
    name             = string
    arn              = string
    status_index_arn = string
    region           = string
    kms_key_arn      = optional(string)
  })
}

variable "results_bucket" {
  description = "The stack's results bucket (stack outputs results_bucket_name, results_bucket_arn) and the stack's customer-managed KMS key (null: none), which encrypts the bucket and, in the stack's own region, this pool's queues."
  type = object({
    name        = string
    arn         = string
    kms_key_arn = optional(string)
  })
}

variable "master_queue" {
  description = "The distributor's master queue, whose pending tasks past their messages' lifetime this pool's power run fails (the home pool's, when the distributor is on); null for none."
  type = object({
    url = string
    arn = string
  })
  default = null
}

variable "peer_queues" {
  description = "The other pools' task queues by pool name, which the home pool's power run reads with its own and the master queue before it fails a pending task for want of a message (the home pool's, when the distributor is on); empty for none."
  type = map(object({
    queue_url = string
    queue_arn = string
  }))
  default = {}
}

variable "master_dlq" {
  description = "The distributor's master dead-letter queue, which this pool's power run also drains (the home pool's, when the distributor is on); null for none."
  type = object({
    url = string
    arn = string
  })
  default = null
}

variable "build" {
  description = "The project's build the pool's GPU host installs (modules/build_artifact's build output: bucket, key, sha256, version, and the KMS key that encrypts it when there is one); null publishes none (an emulator)."
  type = object({
    bucket      = string
    key         = string
    sha256      = string
    version     = string
    kms_key_arn = optional(string)
  })
  default = null
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' metrics (POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = "GpuOrchestrator"
  nullable    = false
}

variable "network_ready" {
  description = "An id that must exist before a created GPU instance boots (the NAT gateway of a VPC made for it); null for none."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "SNS topics in the pool's region that the pool's alarms notify (the ops topic); empty: the alarms only show in the console."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags for every resource of the pool (besides the provider's default tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
