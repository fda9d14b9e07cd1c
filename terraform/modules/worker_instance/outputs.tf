output "instance_id" {
  description = "Id of the GPU instance."
  value       = var.instance_id
}

output "instance_tags" {
  description = "Tags this module manages on the instance (empty when manage_tags is off)."
  value       = { for key, tag in aws_ec2_tag.this : key => tag.value }
}
