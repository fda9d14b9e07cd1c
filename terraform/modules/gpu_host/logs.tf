# Logs and metrics leave the host through the CloudWatch agent: the journal of each service (exported
# to files by the setup, one line per message) goes to the host's log group, where the worker's EMF
# lines become the job metrics the dashboard shows; GPU, memory and disk use become metrics of their
# own namespace. The agent fetches this configuration from its SSM parameter at each setup run.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days); a year of operational logs is cost without use

  name              = var.names.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

locals {
  exported_units = ["gpu-orchestrator-host-setup", "comfyui", "comfyui-unified-api", "sqs-adapter"]

  agent_config = {
    agent = { region = local.region, logfile = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log" }
    logs = {
      logs_collected = {
        files = {
          collect_list = [for unit in local.exported_units : {
            file_path       = "/var/log/gpu-orchestrator/${unit}.log"
            log_group_name  = aws_cloudwatch_log_group.this.name
            log_stream_name = "{instance_id}/${unit}"
            timezone        = "UTC"
          }]
        }
      }
    }
    metrics = {
      namespace         = var.gpu_metrics_namespace
      append_dimensions = { InstanceId = "$${aws:InstanceId}" }
      metrics_collected = {
        nvidia_gpu = {
          measurement                 = ["utilization_gpu", "utilization_memory", "memory_used", "temperature_gpu"]
          metrics_collection_interval = 60
        }
        mem  = { measurement = ["mem_used_percent"], metrics_collection_interval = 60 }
        disk = { measurement = ["used_percent"], resources = ["/"], metrics_collection_interval = 300 }
      }
    }
  }
}

resource "aws_ssm_parameter" "agent" {
  #checkov:skip=CKV2_AWS_34:The agent's configuration, no secrets

  name        = var.names.agent_parameter
  description = "CloudWatch agent configuration of the GPU host (fetch-config -c ssm:...)."
  type        = "String"
  value       = jsonencode(local.agent_config)

  tags = var.tags
}
