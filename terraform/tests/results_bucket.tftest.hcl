# The results bucket on AWS: private, encrypted, versioned, expiring, and TLS only.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "gpu-orchestrator-results-123456789012"
}

run "bucket_is_private_encrypted_and_tls_only" {
  command = plan

  module {
    source = "./modules/results_bucket"
  }

  assert {
    condition     = alltrue([aws_s3_bucket_public_access_block.this.block_public_acls, aws_s3_bucket_public_access_block.this.block_public_policy, aws_s3_bucket_public_access_block.this.ignore_public_acls, aws_s3_bucket_public_access_block.this.restrict_public_buckets])
    error_message = "Every public access block setting must be on."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    error_message = "Objects must be encrypted at rest (SSE-S3 without a KMS key)."
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == 1
    error_message = "The TLS-only bucket policy must be attached by default."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.tls_only.statement :
      s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])
    ])
    error_message = "The bucket policy must deny requests that are not made over TLS."
  }
}

run "results_and_uploads_expire_with_the_retention" {
  command = plan

  module {
    source = "./modules/results_bucket"
  }

  variables {
    result_retention_days = 14
  }

  assert {
    condition = jsonencode(one([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : [r.status, one(r.filter).prefix, one(r.expiration).days]
      if r.id == "expire-results"
    ])) == jsonencode(["Enabled", "comfyui-results/", 14])
    error_message = "Results (comfyui-results/, where the Unified API writes them) must expire after result_retention_days."
  }

  assert {
    condition = jsonencode(one([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : [r.status, one(r.filter).prefix, one(r.expiration).days]
      if r.id == "expire-uploads"
    ])) == jsonencode(["Enabled", "uploads/", 14])
    error_message = "Uploads (uploads/, where the API presigns them) must expire with the results unless told otherwise."
  }

  assert {
    condition     = output.results_prefix == "comfyui-results/" && output.uploads_prefix == "uploads/"
    error_message = "The module must name the prefixes its rules expire, for the API's role and settings."
  }

  assert {
    condition = jsonencode(sort([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id if length(r.expiration) > 0
    ])) == jsonencode(["expire-results", "expire-uploads"])
    error_message = "No rule may expire current objects outside the results and uploads prefixes."
  }
}

run "uploads_may_expire_sooner" {
  command = plan

  module {
    source = "./modules/results_bucket"
  }

  variables {
    result_retention_days = 30
    upload_retention_days = 2
  }

  assert {
    condition = one([
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : one(r.expiration).days if r.id == "expire-uploads"
    ]) == 2
    error_message = "upload_retention_days must set the uploads' expiry."
  }
}
