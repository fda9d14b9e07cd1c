variable "home_region" {
  description = "Region of the master queue, the distributor and the idempotency table."
  type        = string
  default     = "us-east-1"
}

variable "packages_dir" {
  description = "Directory holding distributor.zip; null means build/lambda in the repository."
  type        = string
  default     = null
}
