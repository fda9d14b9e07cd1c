# The VPC made for the GPU host when asked: a private subnet without public addresses, reaching out
# through a NAT gateway, or through the host's VPC endpoints only; the host goes in that subnet.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "no_vpc_unless_asked" {
  command = plan

  variables {
    gpu = { instance_id = "i-0f0f6fd680921de5f" }
  }

  assert {
    condition     = length(module.network) == 0 && output.network == null
    error_message = "No VPC is made unless network.create_vpc is set."
  }
}

run "a_vpc_with_nat_for_a_created_host" {
  # Applied to the mocks: the subnet's and gateway's ids are known only then.
  command = apply

  variables {
    gpu     = { ami_id = "ami-0123456789abcdef0" }
    network = { create_vpc = true, availability_zone = "us-east-1b" }
  }

  assert {
    condition     = local.gpu.subnet_id == module.network[0].private_subnet_id && module.network[0].nat_gateway_id != null
    error_message = "With egress nat the host goes in the VPC's private subnet, which has a NAT gateway."
  }

  assert {
    condition     = local.gpu.vpc_endpoints == null
    error_message = "Behind a NAT the host needs no VPC endpoints."
  }
}

run "a_vpc_with_endpoints_only" {
  command = apply

  variables {
    gpu     = { ami_id = "ami-0123456789abcdef0" }
    network = { create_vpc = true, egress = "vpc_endpoints", availability_zone = "us-east-1b" }
  }

  assert {
    condition     = toset(local.gpu.vpc_endpoints.services) == toset(["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"]) && length(local.gpu.vpc_endpoints.route_table_ids) == 1
    error_message = "Without NAT the host's VPC gets endpoints for its AWS APIs and gateway endpoints in its route table."
  }

  assert {
    condition     = module.network[0].nat_gateway_id == null
    error_message = "With egress vpc_endpoints no NAT gateway is made."
  }
}

run "a_created_host_needs_a_subnet" {
  command = plan

  variables {
    gpu = { ami_id = "ami-0123456789abcdef0" }
  }

  expect_failures = [var.network]
}
