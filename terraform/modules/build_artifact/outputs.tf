output "build" {
  description = "The build as modules/gpu_host takes it: bucket, key, sha256, version (the first 16 hex digits of the sha256) and the customer-managed KMS key that encrypts it (null: SSE-S3)."
  value = {
    bucket      = aws_s3_bucket.this.id
    key         = aws_s3_object.wheel.key
    sha256      = local.sha256
    version     = local.version
    kms_key_arn = var.kms_key_arn
  }
}

output "bucket_arn" {
  description = "ARN of the builds bucket."
  value       = aws_s3_bucket.this.arn
}

output "wheel_s3_uri" {
  description = "s3:// URI of the build's wheel."
  value       = "s3://${aws_s3_bucket.this.id}/${aws_s3_object.wheel.key}"
}
