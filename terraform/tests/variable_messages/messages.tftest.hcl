# Deliberately failing: every value here is invalid, so the plan stops with each validation
# message. tests/terraform/test_terraform_checks.py runs this directory and checks that every
# message reaches the person who made the mistake. `terraform test` alone does not run it.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "every_bad_value_is_named" {
  command = plan

  variables {
    name_prefix  = "Staging_"
    gpu          = { instance_id = "gpu-box-1", ami_id = "ubuntu-22.04", tag_key = "aws:purpose", fallback_instance_types = ["g6e.2xlarge"], root_volume_size_gb = 10 }
    host         = { log_retention_days = 2 }
    queue        = { visibility_timeout_seconds = 43201, receive_wait_time_seconds = 21, max_receive_count = 0 }
    power        = { idle_minutes = 0, alarm_period_seconds = 90, schedule_expression = "every 5 minutes", reserved_concurrency = 0 }
    lambda       = { packages_dir = "./tests/packages", log_retention_days = 10 }
    build        = { wheel_dir = "./tests/packages" }
    api          = { timeout = 31, domain_name = "gpu-api.example.com", environment = { AWS_REGION = "eu-west-1" } }
    results      = { retention_days = 0 }
    remote_pools = { west = { queue_url = "https://sqs.us-west-2.amazonaws.com/123456789012/q", queue_arn = "arn:aws:sqs:us-west-2:123456789012:q" } }
  }
}
