# AWS APIs without a NAT gateway: interface endpoints in the host's VPC for what the host calls, and
# gateway endpoints (free) for S3 and DynamoDB. Hosts without NAT reach no package or model hosts:
# they need software.models_s3_uri, software.pip_index_url and a ComfyUI repository they can reach.

data "aws_subnet" "endpoints" {
  count = var.vpc_endpoints == null ? 0 : 1

  id = var.vpc_endpoints.subnet_ids[0]
}

data "aws_vpc" "endpoints" {
  count = var.vpc_endpoints == null ? 0 : 1

  id = data.aws_subnet.endpoints[0].vpc_id
}

resource "aws_security_group" "endpoints" {
  count = var.vpc_endpoints == null ? 0 : 1

  name        = "${var.names.security_group}-endpoints"
  description = "Interface endpoints of the GPU host: HTTPS from the VPC"
  vpc_id      = data.aws_vpc.endpoints[0].id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "endpoints" {
  count = var.vpc_endpoints == null ? 0 : 1

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS from the VPC to the AWS API endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.endpoints[0].cidr_block
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.vpc_endpoints == null ? toset([]) : toset(var.vpc_endpoints.services)

  vpc_id              = data.aws_vpc.endpoints[0].id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.vpc_endpoints.subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true

  tags = merge(var.tags, { Name = "${var.names.security_group}-${each.key}" })
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = var.vpc_endpoints == null ? toset([]) : toset(length(var.vpc_endpoints.route_table_ids) > 0 ? ["s3", "dynamodb"] : [])

  vpc_id            = data.aws_vpc.endpoints[0].id
  service_name      = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.vpc_endpoints.route_table_ids

  tags = merge(var.tags, { Name = "${var.names.security_group}-${each.key}" })
}
