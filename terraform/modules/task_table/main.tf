# The task table: one item per job, keyed by task_id, with a status/created_at index for listing
# jobs by state (the power logic counts pending and processing jobs through it) and a
# tenant/created_at index for a tenant's own jobs (the API's job list), and a sparse keys-only
# index on waiting_tenant, an attribute only pending rows carry (the API counts a tenant's waiting jobs).
# Its stream carries each write's old and new row to the webhook delivery.

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is the point_in_time_recovery input, on by default; checkov cannot read the default of the stack's optional table.point_in_time_recovery

  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "task_id"
  deletion_protection_enabled = var.deletion_protection

  # Every write's old and new row, for the webhook delivery (modules/webhook).
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "task_id"
    type = "S"
  }

  attribute {
    name = "status"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "N"
  }

  attribute {
    name = "tenant"
    type = "S"
  }

  attribute {
    name = "waiting_tenant"
    type = "S"
  }

  global_secondary_index {
    name            = var.status_index_name
    hash_key        = "status"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = var.tenant_index_name
    hash_key        = "tenant"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = var.waiting_index_name
    hash_key        = "waiting_tenant"
    range_key       = "created_at"
    projection_type = "KEYS_ONLY"
  }

  ttl {
    attribute_name = var.ttl_attribute
    enabled        = true
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
