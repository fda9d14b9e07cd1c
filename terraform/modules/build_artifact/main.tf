# The project's build for the GPU hosts: the wheel that `make package` builds, uploaded under a key
# that holds its sha256, to a private bucket. A host installs it when the version it runs differs
# (modules/gpu_host), so the version is the wheel's content: the same sources build the same wheel.

locals {
  wheel_dir = coalesce(var.wheel_dir, "${path.module}/../../../build/wheel")
  wheels    = fileset(local.wheel_dir, "gpu_orchestrator-*.whl")
  wheel     = one(local.wheels)
  sha256    = filesha256("${local.wheel_dir}/${local.wheel}")
  version   = substr(local.sha256, 0, 16)
  key       = "builds/${local.version}/${local.wheel}"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Builds are rebuilt from the repository; an access-log bucket adds cost without use
  #checkov:skip=CKV_AWS_144:Builds are rebuilt from the repository; replication would only add cost
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; the build parameter names each build

  bucket = var.bucket_name
  # Builds are rebuilt from the repository: destroying the stack may delete them.
  force_destroy = true

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

  # Old builds stay for a rollback (set the build parameter back) until they are this old.
  rule {
    id     = "expire-old-builds"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

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

resource "aws_s3_object" "wheel" {
  bucket       = aws_s3_bucket.this.id
  key          = local.key
  source       = "${local.wheel_dir}/${local.wheel}"
  source_hash  = local.sha256
  content_type = "application/zip"

  tags = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this]
}
