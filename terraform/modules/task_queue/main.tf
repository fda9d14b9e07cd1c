# The task queue and its dead-letter queue: a message received `max_receive_count` times without
# being deleted moves to the DLQ instead of being retried for ever.

resource "aws_sqs_queue" "dlq" {
  name                      = var.dlq_name
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = var.kms_master_key_id == null ? true : null
  kms_master_key_id         = var.kms_master_key_id

  tags = var.tags
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  message_retention_seconds  = var.message_retention_seconds
  sqs_managed_sse_enabled    = var.kms_master_key_id == null ? true : null
  kms_master_key_id          = var.kms_master_key_id

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = var.tags
}

# Only the task queue may send its dead letters here (a DLQ any queue of the account could use hides
# whose failures it holds). A resource of its own: the queue already names the DLQ in its redrive policy.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count     = var.restrict_dlq_sources ? 1 : 0
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}
