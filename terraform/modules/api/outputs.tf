output "endpoint_url" {
  description = "Base URL of the API (custom domain when one is set); null without the HTTP API."
  value       = local.custom_domain ? "https://${var.domain_name}" : one(aws_apigatewayv2_api.this[*].api_endpoint)
}

output "invoke_url" {
  description = "Generated base URL of the API's stage."
  value       = one(aws_apigatewayv2_stage.this[*].invoke_url)
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = one(aws_apigatewayv2_api.this[*].id)
}

output "function_name" {
  description = "Name of the API Lambda."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the API Lambda."
  value       = module.function.function_arn
}

output "log_group_name" {
  description = "Log group of the API Lambda."
  value       = module.function.log_group_name
}

output "access_log_group_name" {
  description = "Log group of the API's access log."
  value       = one(aws_cloudwatch_log_group.access[*].name)
}

output "custom_domain_target" {
  description = "Host name to point the custom domain's DNS record at; null without a custom domain."
  value       = local.custom_domain ? aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name : null
}

output "role_arn" {
  description = "ARN of the API's role."
  value       = module.function.role_arn
}

output "role_name" {
  description = "Name of the API's role."
  value       = module.function.role_name
}

output "instance_policy_json" {
  description = "The API's EC2 policy document; null when the API wakes no instance."
  value       = one(data.aws_iam_policy_document.instance[*].json)
}

output "fleet_policy_json" {
  description = "The API's Auto Scaling policy document (wake the fleet from 0 to 1 instance); null when the API wakes no fleet."
  value       = one(data.aws_iam_policy_document.fleet[*].json)
}
