# Variable validation: a bad value stops the plan at its variable. (The messages themselves are
# checked by tests/terraform/test_terraform_checks.py, which runs tests/variable_messages.)

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu_instance_id     = "i-0f0f6fd680921de5f"
  lambda_packages_dir = "./tests/packages"
}

run "good_values_plan" {
  command = plan

  variables {
    name_prefix               = "staging-"
    idle_minutes              = 5
    alarm_period_seconds      = 60
    power_schedule_expression = "rate(1 minute)"
  }
}

run "rejects_instance_id_that_is_not_one" {
  command = plan
  variables {
    gpu_instance_id = "gpu-box-1"
  }
  expect_failures = [var.gpu_instance_id]
}

run "rejects_prefix_with_upper_case" {
  command = plan
  variables {
    name_prefix = "Staging_"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_visibility_timeout_over_12_hours" {
  command = plan
  variables {
    task_queue_visibility_timeout_seconds = 43201
  }
  expect_failures = [var.task_queue_visibility_timeout_seconds]
}

run "rejects_receive_wait_over_20_seconds" {
  command = plan
  variables {
    task_queue_receive_wait_time_seconds = 21
  }
  expect_failures = [var.task_queue_receive_wait_time_seconds]
}

run "rejects_zero_receives_before_dlq" {
  command = plan
  variables {
    task_queue_max_receive_count = 0
  }
  expect_failures = [var.task_queue_max_receive_count]
}

run "rejects_idle_window_of_zero" {
  command = plan
  variables {
    idle_minutes = 0
  }
  expect_failures = [var.idle_minutes]
}

run "rejects_alarm_period_not_a_multiple_of_a_minute" {
  command = plan
  variables {
    alarm_period_seconds = 90
  }
  expect_failures = [var.alarm_period_seconds]
}

run "rejects_log_retention_cloudwatch_does_not_offer" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_schedule_that_is_not_rate_or_cron" {
  command = plan
  variables {
    power_schedule_expression = "every 5 minutes"
  }
  expect_failures = [var.power_schedule_expression]
}

run "rejects_region_that_is_not_a_code" {
  command = plan
  variables {
    aws_region = "US East"
  }
  expect_failures = [var.aws_region]
}

run "rejects_api_timeout_longer_than_the_gateway_waits" {
  command = plan
  variables {
    api_timeout = 31
  }
  expect_failures = [var.api_timeout]
}

run "rejects_reserved_concurrency_of_zero" {
  command = plan
  variables {
    shutdown_reserved_concurrency = 0
  }
  expect_failures = [var.shutdown_reserved_concurrency]
}

run "custom_domain_needs_a_certificate" {
  command = plan
  variables {
    api_domain_name = "gpu-api.example.com"
  }
  expect_failures = [output.api_endpoint_url]
}

run "rejects_an_environment_variable_lambda_reserves" {
  command = plan
  variables {
    api_environment = { AWS_REGION = "eu-west-1" }
  }
  expect_failures = [var.api_environment]
}

run "rejects_a_tag_key_aws_reserves" {
  command = plan
  variables {
    gpu_tag_key = "aws:purpose"
  }
  expect_failures = [var.gpu_tag_key]
}
