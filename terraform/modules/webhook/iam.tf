# What the webhook function may do: read the task table's stream, read the tenants' secret items of
# the key table (no API key's item) and decrypt them with the secrets key. Its role and log permissions
# are modules/lambda's. The key policy lets the account's IAM policies govern the key, as AWS's default
# key policy does, so the operator's own rights encrypt (gpujobs-keys) and this role only decrypts.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "stream" {
  statement {
    sid       = "ReadTaskStream"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
    resources = [var.task_table_stream_arn]
  }
}

data "aws_iam_policy_document" "secrets" {
  statement {
    sid       = "ReadTenantSecretItems"
    actions   = ["dynamodb:GetItem"]
    resources = [var.api_key_table_arn]

    # gpujobs/webhook_secrets.py: ITEM_PREFIX; API keys' items stay out of reach.
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["webhook-secret#*"]
    }
  }

  statement {
    sid       = "DecryptTenantSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.secrets.arn]

    # Every secret is encrypted with its tenant as encryption context.
    condition {
      test     = "Null"
      variable = "kms:EncryptionContext:tenant"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" is the key itself; the statement is AWS's default, delegating to IAM policies
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" is the key itself; the statement is AWS's default, delegating to IAM policies
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" is the key itself
  statement {
    sid       = "AccountIamPoliciesGovernTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}
