output "table_name" {
  description = "Name of the task table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the task table."
  value       = aws_dynamodb_table.this.arn
}

output "status_index_name" {
  description = "Name of the status/created_at index."
  value       = var.status_index_name
}

output "status_index_arn" {
  description = "ARN of the status/created_at index, for IAM policies that allow Query on it."
  value       = "${aws_dynamodb_table.this.arn}/index/${var.status_index_name}"
}

output "tenant_index_name" {
  description = "Name of the tenant/created_at index."
  value       = var.tenant_index_name
}

output "tenant_index_arn" {
  description = "ARN of the tenant/created_at index, for IAM policies that allow Query on it."
  value       = "${aws_dynamodb_table.this.arn}/index/${var.tenant_index_name}"
}

output "waiting_index_arn" {
  description = "ARN of the waiting_tenant/created_at index, for IAM policies that allow Query on it."
  value       = "${aws_dynamodb_table.this.arn}/index/${var.waiting_index_name}"
}

output "stream_arn" {
  description = "ARN of the table's stream (new and old images), which feeds the webhook delivery."
  value       = aws_dynamodb_table.this.stream_arn
}
