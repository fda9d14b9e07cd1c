output "api_role_arn" {
  description = "ARN of the API's role (null when api_role_enabled is false)."
  value       = one(aws_iam_role.api[*].arn)
}

output "api_role_name" {
  description = "Name of the API's role (null when api_role_enabled is false)."
  value       = one(aws_iam_role.api[*].name)
}

output "gpu_instance_role_arn" {
  description = "ARN of the GPU worker's role."
  value       = aws_iam_role.gpu_instance.arn
}

output "gpu_instance_profile_name" {
  description = "Name of the GPU worker's instance profile."
  value       = aws_iam_instance_profile.gpu_instance.name
}

output "gpu_instance_profile_arn" {
  description = "ARN of the GPU worker's instance profile."
  value       = aws_iam_instance_profile.gpu_instance.arn
}

output "shutdown_role_arn" {
  description = "ARN of the power Lambda's role."
  value       = aws_iam_role.shutdown.arn
}

output "shutdown_role_name" {
  description = "Name of the power Lambda's role."
  value       = aws_iam_role.shutdown.name
}

output "api_instance_policy_json" {
  description = "The API's EC2 policy document, for tests that check the tag condition."
  value       = one(data.aws_iam_policy_document.api_instance[*].json)
}

output "shutdown_instance_policy_json" {
  description = "The power Lambda's EC2 policy document, for tests that check the tag condition."
  value       = data.aws_iam_policy_document.shutdown_instance.json
}
