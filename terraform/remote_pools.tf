# Wiring, not a setting: the GPU pools of other regions, each a modules/gpu_pool call with its own
# provider in the environment. Kept apart from variables.tf, which environments/aws shares.

variable "remote_pools" {
  description = "Task queues of the GPU pools in other regions (outputs of modules/gpu_pool fit), keyed by region. Any pool here turns the distributor on: the API then sends to its master queue, which it spreads over this region's pool and these."
  type = map(object({
    queue_url = string
    queue_arn = string
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for region in keys(var.remote_pools) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", region))])
    error_message = "Each key of remote_pools must be an AWS region name such as us-west-2."
  }
}
