# The master queue every job enters, and its dead-letter queue. The distributor drains the master
# queue; a message it cannot forward comes back after the visibility timeout and, after
# master_max_receive_count receives, moves to the DLQ. Invalid messages are moved there at once.

resource "aws_sqs_queue" "master_dlq" {
  name                      = var.master_dlq_name
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  tags = var.tags
}

resource "aws_sqs_queue" "master" {
  name                       = var.master_queue_name
  visibility_timeout_seconds = var.master_visibility_timeout_seconds
  message_retention_seconds  = var.master_message_retention_seconds
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  kms_master_key_id          = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.master_dlq.arn
    maxReceiveCount     = var.master_max_receive_count
  })

  tags = var.tags
}

# Only the master queue may send its dead letters here.
resource "aws_sqs_queue_redrive_allow_policy" "master_dlq" {
  count     = var.restrict_dlq_sources ? 1 : 0
  queue_url = aws_sqs_queue.master_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.master.arn]
  })
}
