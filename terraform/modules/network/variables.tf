variable "name" {
  description = "Name tag of the VPC and its parts."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range (an IPv4 CIDR of /16 to /24); the private subnet is its second /+8, the NAT's public subnet its first."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be an IPv4 CIDR block from /16 to /24, such as 10.42.0.0/16."
  }
}

variable "availability_zone" {
  description = "Availability zone of the subnets (pick one that has the GPU type); null: the region's first."
  type        = string
  default     = null
}

variable "egress" {
  description = "How the private subnet reaches AWS and the internet: \"nat\" (a NAT gateway, about 32 USD a month plus data) or \"vpc_endpoints\" (none here; the GPU host's endpoints, no internet)."
  type        = string
  default     = "nat"
  nullable    = false

  validation {
    condition     = contains(["nat", "vpc_endpoints"], var.egress)
    error_message = "egress must be \"nat\" or \"vpc_endpoints\"."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
