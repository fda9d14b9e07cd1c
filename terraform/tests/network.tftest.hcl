# The VPC made for the GPU host when asked: a private subnet without public addresses, reaching out
# through a NAT gateway, or through the host's VPC endpoints only; the host goes in that subnet.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

# The VPC's ids as the network module would output them, so the stack's wiring is known at plan.
override_module {
  target = module.network
  outputs = {
    vpc_id                 = "vpc-0123456789abcdef0"
    private_subnet_id      = "subnet-0fedcba9876543210"
    private_route_table_id = "rtb-0fedcba9876543210"
    nat_gateway_id         = "nat-0123456789abcdef0"
  }
}

run "a_created_host_goes_in_the_vpc_made_for_it" {
  command = plan

  variables {
    gpu     = { ami_id = "ami-0123456789abcdef0" }
    network = { create_vpc = true, egress = "vpc_endpoints" }
  }

  assert {
    condition     = local.gpu.subnet_id == "subnet-0fedcba9876543210"
    error_message = "Without gpu.subnet_id the host goes in the VPC's private subnet."
  }

  assert {
    condition     = toset(local.gpu.vpc_endpoints.services) == toset(["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"]) && local.gpu.vpc_endpoints.route_table_ids[0] == "rtb-0fedcba9876543210"
    error_message = "Without NAT the host's VPC gets endpoints for its AWS APIs and gateway endpoints in its route table."
  }
}

run "nat_or_none" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    name = "gpu-orchestrator"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_subnet.public) == 1 && aws_subnet.private.map_public_ip_on_launch == false && aws_subnet.private.availability_zone == "us-east-1a"
    error_message = "With egress nat the private subnet (no public addresses, in the first zone) goes out through a NAT gateway."
  }
}

run "endpoints_only_has_no_nat" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    name   = "gpu-orchestrator"
    egress = "vpc_endpoints"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_internet_gateway.this) == 0 && length(aws_route.private_nat) == 0
    error_message = "With egress vpc_endpoints no NAT or internet gateway is made."
  }
}

run "a_created_host_needs_a_subnet" {
  command = plan

  variables {
    gpu = { ami_id = "ami-0123456789abcdef0" }
  }

  expect_failures = [var.network]
}
