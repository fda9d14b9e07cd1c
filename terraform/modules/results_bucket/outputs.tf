output "bucket_name" {
  description = "Name of the results bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the results bucket."
  value       = aws_s3_bucket.this.arn
}

output "results_prefix" {
  description = "Key prefix under which job results are written (and expire)."
  value       = local.results_prefix
}

output "uploads_prefix" {
  description = "Key prefix under which clients' input uploads are written (and expire)."
  value       = local.uploads_prefix
}

output "lifecycle_expiry_days" {
  description = "Days after which objects expire, by prefix (results and uploads)."
  value       = local.expiry_days
}
