# The API's keys: one item per key, keyed by key_id (the key's public part), holding only the SHA-256
# of the key, its tenant and when it was revoked. The API reads a key's item with GetItem; the
# operator's key command creates, lists and revokes them. Items webhook-secret#<tenant> hold each
# tenant's KMS-encrypted webhook secret (gpujobs/webhook_secrets.py), decrypted only by the webhook Lambda.

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is the point_in_time_recovery input, on by default; checkov cannot read the default of the stack's optional table.point_in_time_recovery

  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "key_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "key_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
