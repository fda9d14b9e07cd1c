# Variable validation: a bad value stops the plan at its variable. The messages themselves are
# checked by tests/terraform/test_terraform_checks.py, which runs tests/variable_messages.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
  lambda = { packages_dir = "./tests/packages" }
}

run "good_values_plan" {
  command = plan

  variables {
    name_prefix = "staging-"
    power       = { idle_minutes = 5, alarm_period_seconds = 60, schedule_expression = "rate(1 minute)" }
    queue       = { visibility_timeout_seconds = 600 }
    api         = { domain_name = "gpu-api.example.com", certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc" }
  }

  assert {
    condition     = output.idle_minutes == 5 && output.worker_environment.VISIBILITY_TIMEOUT_S == "600" && output.power_environment.IDLE_MINUTES == "5"
    error_message = "A value set in a group reaches the services; the rest keep their defaults."
  }

  assert {
    condition     = output.worker_environment.JOB_TIMEOUT_S == "1800" && module.home_pool.alarm_name == "staging-QueueEmptyFor30Min"
    error_message = "Unset attributes keep their defaults."
  }
}

run "rejects_instance_id_that_is_not_one" {
  command = plan
  variables {
    gpu = { instance_id = "gpu-box-1" }
  }
  expect_failures = [var.gpu]
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
    queue = { visibility_timeout_seconds = 43201 }
  }
  expect_failures = [var.queue]
}

run "rejects_receive_wait_over_20_seconds" {
  command = plan
  variables {
    queue = { receive_wait_time_seconds = 21 }
  }
  expect_failures = [var.queue]
}

run "rejects_zero_receives_before_dlq" {
  command = plan
  variables {
    queue = { max_receive_count = 0 }
  }
  expect_failures = [var.queue]
}

run "rejects_idle_window_of_zero" {
  command = plan
  variables {
    power = { idle_minutes = 0 }
  }
  expect_failures = [var.power]
}

run "rejects_alarm_period_not_a_multiple_of_a_minute" {
  command = plan
  variables {
    power = { alarm_period_seconds = 90 }
  }
  expect_failures = [var.power]
}

run "rejects_schedule_that_is_not_rate_or_cron" {
  command = plan
  variables {
    power = { schedule_expression = "every 5 minutes" }
  }
  expect_failures = [var.power]
}

run "rejects_reserved_concurrency_of_zero" {
  command = plan
  variables {
    power = { reserved_concurrency = 0 }
  }
  expect_failures = [var.power]
}

run "rejects_log_retention_cloudwatch_does_not_offer" {
  command = plan
  variables {
    lambda = { packages_dir = "./tests/packages", log_retention_days = 10 }
  }
  expect_failures = [var.lambda]
}

run "rejects_api_timeout_longer_than_the_gateway_waits" {
  command = plan
  variables {
    api = { timeout = 31 }
  }
  expect_failures = [var.api]
}

run "custom_domain_needs_a_certificate" {
  command = plan
  variables {
    api = { domain_name = "gpu-api.example.com" }
  }
  expect_failures = [var.api]
}

run "rejects_an_environment_variable_lambda_reserves" {
  command = plan
  variables {
    api = { environment = { AWS_REGION = "eu-west-1" } }
  }
  expect_failures = [var.api]
}

run "rejects_a_tag_key_aws_reserves" {
  command = plan
  variables {
    gpu = { instance_id = "i-0f0f6fd680921de5f", tag_key = "aws:purpose" }
  }
  expect_failures = [var.gpu]
}

run "rejects_retention_of_zero_days" {
  command = plan
  variables {
    results = { retention_days = 0 }
  }
  expect_failures = [var.results]
}
