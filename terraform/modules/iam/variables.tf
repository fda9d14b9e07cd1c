variable "api_role_name" {
  description = "Name of the API's role (the design's gpu-orchestrator-task-role); ignored when api_role_enabled is false."
  type        = string
  default     = null
}

variable "api_role_enabled" {
  description = "Whether to create the API's role; false for a GPU pool in another region, which only needs the worker and power roles."
  type        = bool
  default     = true
}

variable "api_queue_arn" {
  description = "ARN of the queue the API sends to, when it is not the task queue (the distributor's master queue); null means task_queue_arn."
  type        = string
  default     = null
}

variable "gpu_instance_role_name" {
  description = "Name of the GPU worker's role."
  type        = string
}

variable "gpu_instance_profile_name" {
  description = "Name of the instance profile that carries the GPU worker's role."
  type        = string
}

variable "shutdown_role_name" {
  description = "Name of the power Lambda's role."
  type        = string
}

variable "api_trusted_services" {
  description = "Service principals that may assume the API role (Lambda; add ecs-tasks.amazonaws.com or ec2.amazonaws.com to run the API elsewhere)."
  type        = list(string)
  default     = ["lambda.amazonaws.com"]
}

variable "task_queue_arn" {
  description = "ARN of the task queue."
  type        = string
}

variable "task_table_arn" {
  description = "ARN of the task table."
  type        = string
}

variable "status_index_arn" {
  description = "ARN of the task table's status index."
  type        = string
}

variable "results_bucket_arn" {
  description = "ARN of the results bucket."
  type        = string
}

variable "input_bucket_arns" {
  description = "ARNs of buckets the worker may read input images from (s3:// image URLs)."
  type        = list(string)
  default     = []
}

variable "gpu_instance_ids" {
  description = "Ids of the GPU instances that may be started and stopped."
  type        = list(string)
}

variable "gpu_tag_key" {
  description = "Tag key that an instance must carry to be started or stopped."
  type        = string
  default     = "Purpose"
}

variable "gpu_tag_value" {
  description = "Value of gpu_tag_key that an instance must carry to be started or stopped."
  type        = string
  default     = "GPU-ComfyUI"
}

variable "api_log_group_name" {
  description = "Log group of the API Lambda; ignored when api_role_enabled is false."
  type        = string
  default     = null
}

variable "shutdown_log_group_name" {
  description = "Log group of the power Lambda."
  type        = string
}

variable "tags" {
  description = "Tags for the roles and the instance profile."
  type        = map(string)
  default     = {}
}
