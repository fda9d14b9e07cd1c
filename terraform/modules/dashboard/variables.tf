variable "name" {
  description = "Name of the dashboard."
  type        = string
}

variable "queue_name" {
  description = "Name of the task queue."
  type        = string
}

variable "dlq_name" {
  description = "Name of the task queue's dead-letter queue."
  type        = string
}

variable "gpu_instance_id" {
  description = "Id of the GPU instance; null for a fleet (gpu_fleet_group)."
  type        = string
}

variable "gpu_fleet_group" {
  description = "Name of the pool's Auto Scaling group when the pool is a fleet: the EC2 widget then shows the group's instances."
  type        = string
  default     = null
}

variable "power_log_group_name" {
  description = "Log group of the power Lambda, whose decision lines the dashboard lists."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics."
  type        = string
  default     = "GpuOrchestrator"
}

variable "metric_names" {
  description = "Names of the services' metrics shown, by role."
  type = object({
    jobs_submitted = string
    jobs_completed = string
    jobs_failed    = string
    gpu_stops      = string
    gpu_starts     = string
    idle_minutes   = string
  })
  default = {
    jobs_submitted = "JobsSubmitted"
    jobs_completed = "JobsCompleted"
    jobs_failed    = "JobsFailed"
    gpu_stops      = "GpuStops"
    gpu_starts     = "GpuStarts"
    idle_minutes   = "IdleMinutes"
  }
}

variable "host_log_group_name" {
  description = "Log group of the GPU host's services (modules/gpu_host); null leaves out the host's widgets."
  type        = string
  default     = null
}

variable "host_metrics_namespace" {
  description = "Namespace of the GPU host's own metrics (GPU utilisation and memory, from the CloudWatch agent)."
  type        = string
  default     = "GpuOrchestrator/Host"
  nullable    = false
}
