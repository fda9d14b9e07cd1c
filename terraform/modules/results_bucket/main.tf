# The results bucket: the worker writes generated images here and clients upload input images. Private,
# encrypted, TLS only, versioned, and expiring results and uploads after a retention period so storage does
# not grow for ever.

locals {
  # Where the Unified API writes a job's images (comfyui-results/<workflow>/<job_id>/) and where the API
  # presigns a tenant's uploads (uploads/<tenant>/).
  results_prefix = "comfyui-results/"
  uploads_prefix = "uploads/"
  expiry_days = {
    (local.results_prefix) = var.result_retention_days
    (local.uploads_prefix) = coalesce(var.upload_retention_days, var.result_retention_days)
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:An access-log bucket costs more than these regenerable results are worth; CloudTrail data events cover audits
  #checkov:skip=CKV_AWS_144:Results are regenerable and expire after a retention period; replication would double their cost
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; the task row records each result

  bucket        = var.name
  force_destroy = var.force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-results"
    status = "Enabled"

    filter {
      prefix = local.results_prefix
    }

    expiration {
      days = local.expiry_days[local.results_prefix]
    }
  }

  rule {
    id     = "expire-uploads"
    status = "Enabled"

    filter {
      prefix = local.uploads_prefix
    }

    expiration {
      days = local.expiry_days[local.uploads_prefix]
    }
  }

  # Deleted and overwritten versions (a DELETE of a job's results leaves its objects as these) and
  # abandoned multipart uploads, anywhere in the bucket.
  rule {
    id     = "remove-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = var.deny_insecure_transport ? 1 : 0

  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
