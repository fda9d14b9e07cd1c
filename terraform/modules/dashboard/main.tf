# One CloudWatch dashboard for operators: is work waiting, how jobs end, is the GPU on, and what
# the power logic decided. Job and power metrics are the services' embedded-metric-format metrics,
# found with SEARCH so that the dimensions a service adds (Powertools adds `service`) do not matter.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  # The GPU's EC2 metrics: the single instance's, or a fleet's summed over its group.
  ec2_dimension = var.gpu_fleet_group == null ? ["InstanceId", var.gpu_instance_id] : ["AutoScalingGroupName", var.gpu_fleet_group]

  search = { for key, metric in var.metric_names : key => "SEARCH('{${var.metrics_namespace}} MetricName=\"${metric}\"', 'Sum', 300)" }

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Queue depth"
        region = local.region
        stat   = "Maximum"
        period = 60
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { label = "waiting" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queue_name, { label = "in flight" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name, { label = "dead letters" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title   = "Age of the oldest waiting job (s)"
        region  = local.region
        stat    = "Maximum"
        period  = 60
        metrics = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queue_name, { label = "oldest" }]]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Jobs by outcome"
        region = local.region
        period = 300
        metrics = [
          [{ expression = local.search.jobs_submitted, id = "submitted", label = "submitted" }],
          [{ expression = local.search.jobs_completed, id = "completed", label = "completed" }],
          [{ expression = local.search.jobs_failed, id = "failed", label = "failed" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "GPU instance"
        region = local.region
        period = 300
        metrics = [
          ["AWS/EC2", "CPUUtilization", local.ec2_dimension[0], local.ec2_dimension[1], { stat = "Average", label = "CPU % (no data while stopped)" }],
          ["AWS/EC2", "StatusCheckFailed", local.ec2_dimension[0], local.ec2_dimension[1], { stat = "Maximum", label = "status check failed", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Power decisions"
        region = local.region
        period = 300
        metrics = [
          [{ expression = local.search.gpu_stops, id = "stops", label = "stops" }],
          [{ expression = local.search.gpu_starts, id = "starts", label = "starts" }],
          [{ expression = local.search.idle_minutes, id = "idle", label = "idle minutes", yAxis = "right" }],
        ]
      }
    },
    {
      type = "log", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "Latest power decisions"
        region = local.region
        view   = "table"
        query  = "SOURCE '${var.power_log_group_name}' | fields @timestamp, @message | filter @message like /decision/ | sort @timestamp desc | limit 20"
      }
    },
  ]

  # The GPU host: its GPU as the CloudWatch agent measures it, and the latest errors of its services.
  host_widgets = [for widget in [
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title  = "GPU utilisation and memory (no data while stopped)"
        region = local.region
        period = 60
        metrics = [
          [{ expression = "SEARCH('{${var.host_metrics_namespace}} MetricName=\"nvidia_smi_utilization_gpu\"', 'Average', 60)", id = "gpu", label = "GPU %" }],
          [{ expression = "SEARCH('{${var.host_metrics_namespace}} MetricName=\"nvidia_smi_utilization_memory\"', 'Average', 60)", id = "memory", label = "GPU memory %" }],
        ]
      }
    },
    {
      type = "log", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Latest errors on the GPU host"
        region = local.region
        view   = "table"
        query  = "SOURCE '${var.host_log_group_name}' | fields @timestamp, @logStream, @message | filter @message like /(?i)error|traceback/ | sort @timestamp desc | limit 20"
      }
    },
  ] : widget if var.host_log_group_name != null]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.widgets, local.host_widgets) })
}
