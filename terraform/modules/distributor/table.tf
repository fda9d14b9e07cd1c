# One record per forwarded job (Powertools idempotency layout: key `id`, TTL on `expiration`).
# The conditional put of a record before forwarding is what stops a duplicate delivery.

resource "aws_dynamodb_table" "idempotency" {
  #checkov:skip=CKV_AWS_119:Records hold only request ids and expiry; the AWS-owned key's encryption at rest suffices
  name         = var.idempotency_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}
