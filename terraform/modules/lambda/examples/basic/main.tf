# One function built from this repository's packages, allowed to read one queue's attributes.
# Run `make package` first (it writes build/lambda/*.zip), then terraform init && terraform apply.

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region to create the function in."
  type        = string
  default     = "us-east-1"
}

variable "queue_arn" {
  description = "ARN of a queue the function may read the attributes of."
  type        = string
  default     = "arn:aws:sqs:us-east-1:123456789012:example_tasks_queue"
}

data "aws_iam_policy_document" "queue_depth" {
  statement {
    actions   = ["sqs:GetQueueAttributes"]
    resources = [var.queue_arn]
  }
}

module "function" {
  source = "../../"

  name        = "example-power"
  package     = "shutdown"
  handler     = "services.shutdown_lambda.handler.lambda_handler"
  environment = { IDLE_MINUTES = "30" }

  role_name = "example-power-role"
  policies  = { "queue-depth-read" = data.aws_iam_policy_document.queue_depth.json }
}

output "function_name" {
  description = "Name of the example function."
  value       = module.function.function_name
}

output "error_alarm_name" {
  description = "Alarm on its errors."
  value       = module.function.error_alarm_name
}
