output "instance_id" {
  description = "Id of the GPU instance (adopted or created); null for a fleet (create_instance = false)."
  value       = local.instance_id
}

output "instance_arn" {
  description = "ARN of the GPU instance (what start, stop and a type change are limited to)."
  value       = local.instance_arn
}

output "created" {
  description = "Whether Terraform created the instance (false: adopted by id)."
  value       = local.created
}

output "launch_template_id" {
  description = "Id of the launch template of a created host (an Auto Scaling group can launch from it); null when adopted."
  value       = one(aws_launch_template.this[*].id)
}

output "launch_template_version" {
  description = "Latest version of the launch template; null when adopted."
  value       = one(aws_launch_template.this[*].latest_version)
}

output "security_group_id" {
  description = "Security group of a created host (no inbound rules); null when adopted."
  value       = one(aws_security_group.this[*].id)
}

output "settings_parameter_name" {
  description = "SSM parameter with the services' settings (GPUJOBS_SETTINGS_PARAMETER on the host)."
  value       = aws_ssm_parameter.settings.name
}

output "build_parameter_name" {
  description = "SSM parameter naming the build the host should run; null without a build."
  value       = one(aws_ssm_parameter.build[*].name)
}

output "setup_document_name" {
  description = "SSM document that installs the wanted build (aws ssm send-command --document-name ...); null without a build."
  value       = one(aws_ssm_document.setup[*].name)
}

output "log_group_name" {
  description = "Log group of the host's services (one stream per instance and unit)."
  value       = aws_cloudwatch_log_group.this.name
}

output "agent_parameter_name" {
  description = "SSM parameter with the CloudWatch agent's configuration."
  value       = aws_ssm_parameter.agent.name
}

output "vpc_endpoint_ids" {
  description = "Service -> id of the VPC endpoints created for the host; empty without."
  value       = merge({ for k, e in aws_vpc_endpoint.interface : k => e.id }, { for k, e in aws_vpc_endpoint.gateway : k => e.id })
}

output "settings_json" {
  description = "The services' settings as written to the settings parameter (JSON)."
  value       = nonsensitive(aws_ssm_parameter.settings.value)
}
