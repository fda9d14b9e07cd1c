variable "instance_id" {
  description = "Id of the existing GPU instance."
  type        = string
}

variable "manage_tags" {
  description = "Put `tags` on the instance. Off when the instance is tagged already (or created elsewhere with them)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags to put on the instance when manage_tags is on."
  type        = map(string)
  default     = {}
}
