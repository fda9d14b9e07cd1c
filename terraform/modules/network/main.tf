# A VPC for the GPU host, made only when asked (network.create_vpc): one private subnet without
# public addresses, and its way to AWS and the internet: a NAT gateway in a public subnet (egress
# "nat"; the setup reaches PyPI, GitHub and the model hosts), or none (egress "vpc_endpoints"; the
# host's module adds endpoints for the AWS APIs, and the setup needs S3 sources for everything).

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Read only for a default zone when none is named; the subnet keeps the zone it was made in

  state = "available"
}

locals {
  nat = var.egress == "nat"
  az  = var.availability_zone != null ? var.availability_zone : data.aws_availability_zones.available.names[0]
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:One host's VPC with no inbound path; flow logs cost more than they show here (turn them on where policy asks)

  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# The default security group allows nothing, so nothing can use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_subnet" "private" {
  vpc_id                  = aws_vpc.this.id
  cidr_block              = cidrsubnet(var.cidr_block, 8, 1)
  availability_zone       = local.az
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}

resource "aws_subnet" "public" {
  count = local.nat ? 1 : 0

  vpc_id                  = aws_vpc.this.id
  cidr_block              = cidrsubnet(var.cidr_block, 8, 0)
  availability_zone       = local.az
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-nat" })
}

resource "aws_internet_gateway" "this" {
  count = local.nat ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  count = local.nat ? 1 : 0

  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }

  tags = merge(var.tags, { Name = "${var.name}-public-nat" })
}

resource "aws_route_table_association" "public" {
  count = local.nat ? 1 : 0

  subnet_id      = aws_subnet.public[0].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = local.nat ? 1 : 0

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_nat_gateway" "this" {
  count = local.nat ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id

  tags = merge(var.tags, { Name = var.name })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route" "private_nat" {
  count = local.nat ? 1 : 0

  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}
