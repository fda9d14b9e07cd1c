output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_id" {
  description = "Id of the private subnet the GPU host goes in."
  value       = aws_subnet.private.id
}

output "private_route_table_id" {
  description = "Id of the private subnet's route table (gateway endpoints go in it)."
  value       = aws_route_table.private.id
}

output "nat_gateway_id" {
  description = "Id of the NAT gateway; null with egress vpc_endpoints."
  value       = one(aws_nat_gateway.this[*].id)
}
