variable "home_region" {
  description = "Region of the master queue, the distributor and the idempotency table."
  type        = string
  default     = "us-east-1"
}

variable "package_path" {
  description = "Path of the distributor's zip."
  type        = string
  default     = "../../../../../build/lambda/distributor.zip"
}
